import time

import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext,
                     MaterializeResult, MetadataValue, asset, asset_check)

from assets.frames.core import FRAME_SCHEMA, SHOT_SCHEMA, FrameParams, contact_sheet, extract_image_frames, extract_video_frames
from assets.frames.handoff import HandoffWriter, settle_handoff, wants_handoff
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, film_record, image_markdown, result, staged_relative
from resources.ingest import source_file
from resources.partitions import film_partitions
from resources.relations import FILM_SOURCE
from resources.store import StorageResource

CONTRACT = StageContract("frames", FrameParams, reads=(FILM_SOURCE,))
WHOLE_COVERAGE = 0.99  # below this share of the declared duration decoded, the coverage check warns


@asset(**CONTRACT.asset_args(group_name="frames"))
def frames(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource) -> MaterializeResult:
    """Shot-aware key frames: shot detection, frames spread across each shot, near-duplicate and quality filters."""
    film, catalog = context.partition_key, storage.catalog()
    workspace, source = storage.workspace(film), film_record(catalog, film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        if source["kind"] == "audio":  # an audio-only film has no frames; later visual stages see empty tables
            stage.commit(pl.DataFrame(schema=FRAME_SCHEMA), {"shots": pl.DataFrame(schema=SHOT_SCHEMA)})
            return result(stage, {"frames_kept": 0, "note": "audio-only film: no frames"})
        started = time.perf_counter()
        extract = extract_image_frames if source["kind"] == "images" else extract_video_frames
        # what shot_analysis measures of every frame, taken from this decode (assets/frames/handoff.py)
        handoff = HandoffWriter(workspace, stage.fingerprint) if wants_handoff(source["kind"], source["height"]) \
            else None
        try:
            with workspace.staged_dir("frames") as staging:
                total = int(source["frame_count"] or source["image_count"] or 0)
                out = extract(source_file(workspace, source), staging, params,
                              staged_relative(workspace, "frames", staging),
                              on_frame=lambda n: stage.progress(min(n, total), total, "frames decoded"),
                              **({"on_every_frame": handoff.add} if handoff else {}))
        except BaseException:
            if handoff is not None:
                handoff.discard()
            raise
        if out.decode_error:
            context.log.warning(f"{source['source_path']}: {out.decode_error}; kept what decoded")
        handed_off = settle_handoff(handoff, out.report, workspace)
        stage.commit(out.frames, {"shots": out.shots}, decoded_frames=out.decoded_frames,
                     decode_error=out.decode_error, coverage=out.coverage, picture=out.picture, **handed_off)
        kept = out.frames.filter(pl.col("kept"))
        strip = contact_sheet([workspace.absolute(p) for p in kept["path"]])
        return result(stage, {
            "frames_kept": kept.height, "frames_dropped": out.frames.height - kept.height,
            "shots": out.shots.height, "decoded_frames": out.decoded_frames, "analysed_frames": out.analysed_frames,
            "drop_reasons": counts_markdown(out.frames.with_columns(
                pl.col("drop_reason").str.replace(r":.*", "")), "drop_reason"),
            "decode_error": out.decode_error or "", "decode_coverage": out.coverage.get("coverage"),
            "seconds": round(time.perf_counter() - started, 2),
            "handoff_mb": round(handed_off.get("handoff_bytes", 0) / 1e6, 1),
            **picture_metadata(out.picture),
            "preview": image_markdown(strip, "kept frames") or MetadataValue.text("no kept frames"),
        })


def picture_metadata(picture: dict | None) -> dict[str, str]:
    """What was done to a video's picture (assets/frames/picture.py), as the asset's metadata."""
    if not picture:
        return {}
    crop = picture["crop"]
    return {"picture": f"{picture['stored_width']}x{picture['stored_height']} SAR {picture['sar']} -> "
                       f"{picture['output_width']}x{picture['output_height']}",
            "picture_corrections": ", ".join(filter(None, (
                f"deinterlaced ({picture['deinterlace']}, {picture['combed_share']:.0%} of samples combed)"
                if picture["deinterlace"] else "",
                f"bars cropped to {crop[2]}x{crop[3]} at {crop[0]},{crop[1]}" if crop else "",
                f"rotated {picture['rotation']} deg" if picture["rotation"] else "",
                "square pixels" if picture["sar"] != "1:1" else "",
                (f"HDR {picture['transfer']} tone-mapped to SDR (peak {picture.get('peak_nits', 0):.0f} nits)"
                 if picture.get("tone_mapped") else f"HDR {picture['transfer']} not tone-mapped")
                if picture["transfer"] else ""))) or "none"}


@asset_check(asset=frames, name="decode_coverage", blocking=False, partitions_def=film_partitions)
def frames_decode_coverage(context: AssetCheckExecutionContext, storage: StorageResource) -> AssetCheckResult:
    """How much of the film's declared duration decoded; warns on damaged packets or gaps (films below
    frames.min_coverage already failed `frames`)."""
    film = context.partition_key if context.has_partition_key else None
    if film is None:
        return AssetCheckResult(passed=True, metadata={"note": "no film partition given"})
    return coverage_result(storage.workspace(film).read_stage_record("frames"))


def coverage_result(record: dict | None) -> AssetCheckResult:
    """The decode_coverage check's verdict on a frames stage record."""
    coverage = (record or {}).get("coverage") or {}
    if coverage.get("coverage") is None:
        return AssetCheckResult(passed=True, metadata={"note": "not a video with a declared duration"})
    whole = coverage["coverage"] >= WHOLE_COVERAGE and not coverage.get("damaged_packets")
    return AssetCheckResult(passed=whole, severity=AssetCheckSeverity.WARN, metadata={
        "coverage": coverage["coverage"], "declared_s": coverage["declared_s"], "decoded_s": coverage["decoded_s"],
        "damaged_packets": coverage.get("damaged_packets", 0),
        "gaps": ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in coverage.get("gaps", [])) or "none"})
