"""An anime image set as a user brings it (issue 12), built from ../shared media only, and each stage's outcome
per image kind, printed as text (not a test).

``build DIR [--split s15|tune|held_out]``: ~50 images: Penny & Chip frames (both children, one child, none; face boxes from
tests/data/penny_and_chip_faces.json), the CC0 characters as RGBA and composited on frames, crops of the anime
face grid at several sizes (some too small for a detector), greyscale and line-art copies, a 40 px and a 4000 px
image, a CMYK JPEG, a 16-bit PNG, a 0-byte file and a truncated JPEG; truth in ``DIR.truth.json``. ``--split``
(SPLITS below): ``tune`` takes Penny & Chip's odd shots and Saha, ``held_out`` the even shots and Sita (measured once,
at the end of a change); ``s15`` (the default) is session 15's set, byte for byte.
``build DIR --characters creatures --split held_out|tune``: Kenney's CC0 alien and 13 enemies (session 19,
bench/creatures_image_set.py: mostly faceless, designs of one body in two or three colours; its tune split: the
pack's other flat-fill figures, session 47).
``build DIR --characters one_palette --split tune [--redraw SEED]``: the Kenney set below with its six characters
recoloured into one green (session 54, bench/one_palette_image_set.py: several designs of one palette, several poses
and flips each, the held-out green creatures' case on tune material); ``--characters creatures_one_palette --split
tune``: the creature set's tune figures recoloured alike (faceless designs of one palette, other shapes).
``build DIR --characters kenney --split tune|held_out``: Kenney's six CC0 drawn characters instead (session 18,
bench/kenney_image_set.py: RGBA sprites, single and paired composites on real frames, greyscale and small ones;
``--redraw SEED``: the split's composites drawn again, another set of the same split's poses and frames);
an instance is a character's when more than half of its cut-out lies on the character's visible mask
(``DIR.masks/``) and their IoU is over 0.2; ``eval`` adds BCubed over every character pasted (a missed one is
noise of its own) and purity / coverage per identity and character.
``eval HOME FILM DIR``: after ``castforge ingest DIR --film FILM`` and ``castforge materialize FILM`` under
CASTFORGE_HOME=HOME: per kind images / kept frames / instances / kept / with a face / given an identity, every
drop and face-miss reason, and BCubed precision / recall / F of the labelled instances (Penny, Chip, Sita, Saha;
noise counts as a cluster of one). ``--reassign [--set PARAM=VALUE ...]``: the identity step run again on the stored
faces and instances with the film's settings and those identity_clusters values, before any code is committed.
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import polars as pl
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
S = os.environ.get("CASTFORGE_SHARED", str(ROOT.parent / "shared")) + "/media"


# The split (session 16): the tune set is built from Penny & Chip's ODD shots (the shots every Penny & Chip figure
# tunes on) and the CC0 character Saha (front and side), the held-out set from the EVEN shots and Sita, never seen
# while tuning. ``s15`` is session 15's set (both parities and all three sheets), kept to compare with its figures.
SPLITS = {
    "s15": {"both": [0, 3, 5, 9, 12, 16, 19, 22], "one": [1, 6, 11, 14, 17, 20], "grey": [5, 16], "huge": 19,
            "cmyk": 12, "png16": 9, "rgba": ["sita_front", "saha_front", "saha_side"],
            "comp": [("sita_front", 25, 380, 300), ("saha_front", 25, 360, 80), ("saha_side", 2, 400, 420),
                     ("sita_front", 10, 300, 560), ("saha_front", 18, 420, 330), ("saha_side", 13, 330, 40)]},
    "tune": {"both": [1, 5, 9, 13, 17, 21, 25], "one": [3, 7, 11, 15, 19, 23], "grey": [9, 21], "huge": 13,
             "cmyk": 17, "png16": 5, "rgba": ["saha_front", "saha_side"],
             "comp": [("saha_front", 1, 380, 300), ("saha_side", 25, 360, 80), ("saha_front", 7, 300, 560),
                      ("saha_side", 15, 420, 330), ("saha_front", 23, 330, 40), ("saha_side", 11, 260, 600)]},
    "held_out": {"both": [0, 4, 8, 12, 16, 20, 24], "one": [2, 6, 10, 14, 18, 22], "grey": [8, 20], "huge": 16,
                 "cmyk": 4, "png16": 24, "rgba": ["sita_front"],
                 "comp": [("sita_front", 2, 380, 300), ("sita_front", 24, 360, 80), ("sita_front", 6, 300, 560),
                          ("sita_front", 14, 420, 330), ("sita_front", 22, 330, 40), ("sita_front", 10, 260, 600)]},
}


def build(OUT: str, split: str = "s15", characters: str = "cc0", redraw: int | None = None) -> None:
    if characters in ("kenney", "creatures", "one_palette", "creatures_one_palette"):
        return build_kenney(OUT, split, characters, redraw)
    if redraw is not None:
        raise SystemExit("--redraw: Kenney's characters only (--characters kenney)")
    plan = SPLITS[split]
    shutil.rmtree(OUT, ignore_errors=True); os.makedirs(OUT)
    CACHE = tempfile.mkdtemp()
    faces = json.load(open(ROOT / "tests/data/penny_and_chip_faces.json"))["frames"]
    truth = {}

    def pc(k):
        p = f'{CACHE}/pc_{k}.png'
        if not os.path.exists(p):
            subprocess.run(['ffmpeg','-loglevel','error','-y','-ss',str(8*k+3.5),'-i',f'{S}/video/2d/penny_and_chip_26shots_480p.mp4','-frames:v','1',p],check=True)
        return Image.open(p).convert('RGB')
    def put(name, im, kind, chars, **kw):
        im.save(f'{OUT}/{name}', **kw); truth[name] = {'kind': kind, 'chars': chars}
    # Penny & Chip: both, one child, none
    for k in plan["both"]:
        f = faces[str(k)]
        put(f'pc_both_{k:02d}.png', pc(k), 'pc_both', [['penny', f['penny']], ['chip', f['chip']]])
    for k in plan["one"]:
        f = faces[str(k)]; im = pc(k)
        cut = f['chip'][0] - 45
        put(f'pc_penny_{k:02d}.png', im.crop((0, 0, cut, 480)), 'pc_one', [['penny', f['penny']]])
        x0 = f['penny'][2] + 35; b = f['chip']
        put(f'pc_chip_{k:02d}.jpg', im.crop((x0, 0, 854, 480)), 'pc_one', [['chip', [b[0]-x0, b[1], b[2]-x0, b[3]]]], quality=92)
    put('pc_none_25.png', pc(25).crop((260, 0, 640, 480)), 'pc_none', [])
    put('pc_none_24.png', pc(2).crop((0, 0, 200, 160)), 'pc_none', [])  # a corner of shot 2 (named 24 in the first set)
    # RGBA characters as they are, and composited on frames
    cz = {}
    for n in sorted({n for n, *_ in plan["comp"]} | set(plan["rgba"])):
        cz[n] = Image.open(f'{S}/characters_rgba/{n}.png')
    for n in plan["rgba"]:
        im = cz[n]
        a = np.array(im)[:, :, 3]; ys, xs = np.nonzero(a > 127)
        put(f'rgba_{n}.png', im, 'rgba', [[n.split('_')[0], [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]]])
    for i, (n, k, h, x) in enumerate(plan["comp"]):
        bg = pc(k).convert('RGBA'); ch = cz[n]; w = round(ch.width * h / ch.height); ch = ch.resize((w, h), Image.LANCZOS)
        x = min(x, bg.width - w); y = 480 - h; bg.alpha_composite(ch, (x, y))
        a = np.array(ch)[:, :, 3]; ys, xs = np.nonzero(a > 127)
        chars = [[n.split('_')[0], [x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1]]]
        put(f'comp_{n}_{k:02d}.png', bg.convert('RGB'), 'composite', chars)
    # anime face grid: whole (a frame full of small faces), 2x2 tiles, one tile, one tile shrunk below usable size
    g = Image.open(f'{S}/faces/anime_face_grid.jpg').convert('RGB')
    put('grid_whole_1024.jpg', g.resize((1024, 1024), Image.LANCZOS), 'grid_tiny_faces', [], quality=92)
    put('grid_2x2_a.jpg', g.crop((0, 0, 1024, 1024)), 'grid_tiles', [], quality=92)
    put('grid_2x2_b.jpg', g.crop((1536, 1536, 2560, 2560)), 'grid_tiles', [], quality=92)
    for r, c in [(0, 2), (3, 1), (4, 4)]:
        put(f'grid_tile_{r}{c}.png', g.crop((c*512, r*512, c*512+512, r*512+512)), 'grid_tile', [])
    put('grid_tile_11_small.png', g.crop((512, 512, 1024, 1024)).resize((96, 96), Image.LANCZOS), 'grid_too_small', [])
    put('grid_3x3_small.png', g.crop((0, 0, 1536, 1536)).resize((360, 360), Image.LANCZOS), 'grid_too_small', [])
    # greyscale and line art (edges only, no colour)
    for k in plan["grey"]:
        f = faces[str(k)]
        put(f'grey_pc_{k:02d}.png', pc(k).convert('L'), 'grey', [['penny', f['penny']], ['chip', f['chip']]])
        e = cv2.Canny(cv2.cvtColor(np.array(pc(k)), cv2.COLOR_RGB2GRAY), 60, 140)
        put(f'lineart_pc_{k:02d}.png', Image.fromarray(255 - e), 'lineart', [['penny', f['penny']], ['chip', f['chip']]])
    put('grey_grid_tile_02.png', g.crop((1024, 0, 1536, 512)).convert('L'), 'grey', [])
    # tiny and huge
    put('tiny_40.png', pc(plan["both"][0]).resize((40, 22), Image.LANCZOS), 'tiny', [])
    k = plan["huge"]; f = faces[str(k)]; s = 4000 / 854
    put('huge_4000.jpg', pc(k).resize((4000, round(480 * s)), Image.LANCZOS), 'huge',
        [[n, [round(v * s) for v in f[n]]] for n in ('penny', 'chip')], quality=90)
    # CMYK JPEG and 16-bit PNG
    k = plan["cmyk"]; f = faces[str(k)]
    put(f'cmyk_pc_{k:02d}.jpg', pc(k).convert('CMYK'), 'cmyk', [['penny', f['penny']], ['chip', f['chip']]], quality=92)
    k = plan["png16"]; f = faces[str(k)]
    a16 = (np.array(pc(k))[:, :, ::-1].astype(np.uint16) * 257)
    cv2.imwrite(f'{OUT}/png16_pc_{k:02d}.png', a16); truth[f'png16_pc_{k:02d}.png'] = {'kind': 'png16', 'chars': [['penny', f['penny']], ['chip', f['chip']]]}
    # broken: 0-byte, truncated JPEG
    open(f'{OUT}/empty.jpg', 'wb').close(); truth['empty.jpg'] = {'kind': 'empty', 'chars': []}
    k = plan["both"][1]
    pc(k).save(f'{CACHE}/full.jpg', quality=92); b = open(f'{CACHE}/full.jpg', 'rb').read()
    open(f'{OUT}/truncated_pc_{k:02d}.jpg', 'wb').write(b[: len(b) * 2 // 5]); truth[f'truncated_pc_{k:02d}.jpg'] = {'kind': 'truncated', 'chars': []}
    json.dump(truth, open(OUT.rstrip("/") + ".truth.json", "w"), indent=1)
    print(len(truth), "images in", OUT)


def build_kenney(OUT: str, split: str, characters: str = "kenney", redraw: int | None = None) -> None:
    import sys

    sys.path.insert(0, str(ROOT))   # the bench folder last: its datasets.py never shadows Hugging Face's `datasets`
    if str(Path(__file__).resolve().parent) not in sys.path:
        sys.path.append(str(Path(__file__).resolve().parent))
    if characters == "creatures":  # bench/creatures_image_set.py
        from creatures_image_set import build as build_set
        if split not in ("tune", "held_out"):
            raise SystemExit("--characters creatures: --split tune or held_out")
    elif characters in ("one_palette", "creatures_one_palette"):  # bench/one_palette_image_set.py
        from functools import partial

        from kenney_image_set import redrawn_plan
        from one_palette_image_set import build as one_palette_build
        build_set = partial(one_palette_build, figures="creatures" if characters.startswith("creatures") else "kenney")
        if split not in ("tune", "held_out"):
            raise SystemExit(f"--characters {characters}: --split tune or held_out")
    else:
        from kenney_image_set import build as build_set
        from kenney_image_set import redrawn_plan
        if split not in ("tune", "held_out"):
            raise SystemExit("--characters kenney: --split tune or held_out")
    if redraw is not None and characters not in ("kenney", "one_palette"):
        raise SystemExit("--redraw: Kenney's characters only (--characters kenney or one_palette)")
    truth = (build_set(OUT, split, S) if redraw is None
             else build_set(OUT, split, S, plan_of=lambda name: redrawn_plan(name, redraw)))
    json.dump(truth, open(OUT.rstrip("/") + ".truth.json", "w"), indent=1)
    print(len(truth), "images in", OUT)


# Where each crop of the anime grid comes from: (x0, y0, x1, y1) in the 3072 px grid, and its scale. The grid's
# hand-labelled faces (tests/data/anime_face_grid_labels.json) are 39 portraits of 39 characters: eval labels them
# ``portrait_K`` in every crop that holds them whole, so a cluster of portraits of two characters counts against
# precision. The grid images are the same in every split: their figure is never a held-out one.
GRID_VIEWS = {'grid_whole_1024.jpg': ((0, 0, 3072, 3072), 1024 / 3072), 'grid_2x2_a.jpg': ((0, 0, 1024, 1024), 1.0),
              'grid_2x2_b.jpg': ((1536, 1536, 2560, 2560), 1.0), 'grid_tile_02.png': ((1024, 0, 1536, 512), 1.0),
              'grid_tile_31.png': ((512, 1536, 1024, 2048), 1.0), 'grid_tile_44.png': ((2048, 2048, 2560, 2560), 1.0),
              'grid_tile_11_small.png': ((512, 512, 1024, 1024), 96 / 512),
              'grid_3x3_small.png': ((0, 0, 1536, 1536), 360 / 1536),
              'grey_grid_tile_02.png': ((1024, 0, 1536, 512), 1.0)}


def grid_portraits(image: str) -> list:
    """[['portrait_K', face box in the image], ...] for a crop of the anime grid, else []."""
    if image not in GRID_VIEWS:
        return []
    (cx0, cy0, cx1, cy1), s = GRID_VIEWS[image]
    faces = json.load(open(ROOT / "tests/data/anime_face_grid_labels.json"))["faces"]
    return [[f'portrait_{k}', [(x0 - cx0) * s, (y0 - cy0) * s, (x1 - cx0) * s, (y1 - cy0) * s]]
            for k, (x0, y0, x1, y1) in enumerate(faces) if x0 >= cx0 and y0 >= cy0 and x1 <= cx1 and y1 <= cy1]


def label(truth, row, image, masks=None):
    if masks is not None:  # the Kenney set: mask IoU with each character's visible mask
        return masks(row, image)
    best, lab = 0.0, None
    for name, b in truth[image]['chars'] + grid_portraits(image):
        if name in ('penny', 'chip') or name.startswith('portrait'):  # face box: its centre inside the instance box, the instance not much wider than 4 faces
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            if row['x0'] <= cx <= row['x1'] and row['y0'] <= cy <= row['y1']:
                fw = b[2] - b[0]; inside = (min(row['x1'], b[2]) - max(row['x0'], b[0])) / fw
                sc = inside / max(1.0, (row['x1'] - row['x0']) / (3.5 * fw))
                if sc > best: best, lab = sc, name
        else:
            ix = max(0, min(row['x1'], b[2]) - max(row['x0'], b[0])) * max(0, min(row['y1'], b[3]) - max(row['y0'], b[1]))
            u = (row['x1'] - row['x0']) * (row['y1'] - row['y0']) + (b[2] - b[0]) * (b[3] - b[1]) - ix
            if ix / u > 0.4 and ix / u > best: best, lab = ix / u, name
    return lab if best > 0.5 else None


def bcubed(pairs):
    P = R = 0.0
    for l, c in pairs:
        same_c = [x for x in pairs if x[1] == c]; same_l = [x for x in pairs if x[0] == l]
        P += sum(x[0] == l for x in same_c) / len(same_c); R += sum(x[1] == c for x in same_l) / len(same_l)
    P /= len(pairs); R /= len(pairs); return P, R, 2 * P * R / (P + R)


def reassigned(home: str, film: str, overrides: dict) -> pl.DataFrame:
    """The identity step (the functions identity_clusters calls, minus review and stable ids) run again on the
    film's stored faces and instances with the film's settings and ``overrides`` (identity_clusters parameters)."""
    import sys

    sys.path.insert(0, str(ROOT))
    from assets.identities.core import IdentityParams
    from assets.identities.reassign import reassign_stored
    from resources.backends.tflite_embedder import TfliteImageEmbedder
    from resources.film_settings import stage_params
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = home
    params = IdentityParams.from_dict({**stage_params(film, "identity_clusters"), **overrides})
    a = reassign_stored(FilmWorkspace(film, Path(home)), params, TfliteImageEmbedder())
    print("reassigned:", json.dumps({k: v for k, v in a.stats.items() if not isinstance(v, dict)}),
          "min_cluster_size", a.stats.get("face_clustering", {}).get("min_cluster_size"))
    return pl.DataFrame({"instance_id": a.instance_ids, "by": a.by,
                         "identity": [f"identity_{k:03d}" if k >= 0 else "noise" for k in a.labels]})


def evaluate(home: str, film: str, folder: str, verbose: bool, overrides: dict | None = None) -> None:
    truth = json.load(open(folder.rstrip("/") + ".truth.json"))
    T = f'{home}/films/{film}/tables/'
    fr = pl.read_parquet(T + 'frames.parquet')
    ins = pl.read_parquet(T + 'filtered_instances.parquet')
    faces = pl.read_parquet(T + 'faces.parquet')
    ids = (reassigned(home, film, overrides) if overrides is not None
           else pl.read_parquet(T + 'identity_clusters.parquet'))
    miss = dict(pl.read_parquet(T + 'face_misses.parquet').select('instance_id', 'reason').iter_rows())
    src = dict(fr.select('frame_id', 'source').iter_rows())
    idof = {r['instance_id']: r for r in ids.iter_rows(named=True)}
    faced = set(faces['instance_id'])
    masks = kenney_masks(home, film, folder, truth, fr) if any(len(c) == 3 for t in truth.values() for c in t['chars']) else None
    per = defaultdict(Counter); rows = []; notes = defaultdict(Counter)
    for image, t in truth.items(): per[t['kind']]['images'] += 1
    for r in fr.iter_rows(named=True):
        k = truth[r['source']]['kind']
        if r['kept']: per[k]['frames_kept'] += 1
        else: notes[k]['frame dropped: ' + (r['drop_reason'] or '')[:40]] += 1
    for r in ins.iter_rows(named=True):
        image = src[r['frame_id']]; k = truth[image]['kind']
        per[k]['instances'] += 1
        if not r['kept']:
            notes[k]['inst dropped: ' + (r['reason'] or '')[:50]] += 1; continue
        per[k]['kept'] += 1
        per[k]['face'] += r['instance_id'] in faced
        ident = idof.get(r['instance_id'], {}).get('identity')
        per[k]['identity'] += ident not in (None, 'noise')
        if r['instance_id'] in miss: notes[k]['miss: ' + miss[r['instance_id']][:45]] += 1
        lab = label(truth, r, image, masks)
        rows.append((image, r["instance_id"], lab, ident, r["instance_id"] in faced, [round(r[c]) for c in ("x0", "y0", "x1", "y1")]) + ((round(masks.found[(image, r["instance_id"])][1], 2),) if masks else ()))
    print(f"{'kind':18s} images frames_kept inst kept face identity")
    for k, c in per.items():
        print(f"{k:18s} {c['images']:6d} {c['frames_kept']:11d} {c['instances']:4d} {c['kept']:4d} {c['face']:4d} {c['identity']:8d}")
    for k, c in notes.items():
        for n, v in c.items(): print('   ', k, n, v)
    lab = [(l, i if i not in (None, 'noise') else 'noise:' + iid) for _, iid, l, i, *_ in rows if l]
    kenney = {c for t in truth.values() for c, *m in t['chars'] if m and len(m) == 2}
    groups = [('pc', lambda n: n in ('penny', 'chip')), ('rgba', lambda n: n in ('sita', 'saha')),
              ('kenney', lambda n: n in kenney),
              ('all', lambda n: not n.startswith('portrait')), ('grid', lambda n: n.startswith('portrait')),
              ('all+grid', lambda n: True)]
    for group, wanted in groups:
        sub = [x for x in lab if wanted(x[0])]
        if sub: print(group, 'labelled', len(sub), 'P/R/F %.3f %.3f %.3f' % bcubed(sub), Counter(sub and [(l, c if not c.startswith('noise') else 'noise') for l, c in sub]))
    kinds = {image: truth[image]['kind'] for image in truth}
    for kind in sorted({kinds[image] for image, _, l, *_ in rows if l}):  # BCubed among one kind's instances
        sub = [(l, i if i not in (None, 'noise') else 'noise:' + iid) for image, iid, l, i, *_ in rows
               if l and kinds[image] == kind]
        print('  kind', kind, 'labelled', len(sub), 'P/R/F %.3f %.3f %.3f' % bcubed(sub))
    if kenney:
        from kenney_image_set import purity_coverage

        print('kenney', json.dumps(purity_coverage([x for x in lab if x[0] in kenney]), indent=None))
        # every character pasted, found or not: its best instance's identity, else noise of its own (a character
        # whose frame was dropped or that no instance covers counts against recall, as a user would see it)
        best = {}
        for image, iid, l, i, *_ in rows:
            if l in kenney:
                iou = masks.found[(image, iid)][1]
                if iou > best.get((image, l), (0.0,))[0]:
                    best[(image, l)] = (iou, i if i not in (None, 'noise') else 'noise:' + iid)
        pasted = [(c, best.get((image, c), (0, f'noise:missed:{image}:{c}'))[1])
                  for image, t in truth.items() for c, *_ in t['chars'] if c in kenney]
        print('kenney pasted', len(pasted), 'found', len(best), 'P/R/F %.3f %.3f %.3f' % bcubed(pasted))
        print('kenney pasted', json.dumps(purity_coverage(pasted)['characters']))
        ious = defaultdict(list)
        for (image, iid), (name, iou) in masks.found.items():
            if name: ious[name].append(iou)
        print('kenney mask IoU of labelled instances', {n: round(float(np.mean(v)), 3) for n, v in sorted(ious.items())})
    if verbose:
        for r in rows: print(*r)


def kenney_masks(home, film, folder, truth, frames):
    """label(row, image) for the Kenney set: the character the instance's cut-out mostly shows
    (bench/kenney_image_set.mask_label); ``.found`` keeps (image, instance) -> (character, IoU)."""
    import sys

    sys.path.insert(0, str(ROOT))   # the bench folder last: its datasets.py never shadows Hugging Face's `datasets`
    if str(Path(__file__).resolve().parent) not in sys.path:
        sys.path.append(str(Path(__file__).resolve().parent))
    from kenney_image_set import instance_mask, mask_label
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = home
    workspace = FilmWorkspace(film, Path(home))
    size = {r['source']: (r['width'], r['height']) for r in frames.iter_rows(named=True)}
    mask_dir = folder.rstrip("/") + ".masks"

    def masks(row, image):
        key = (image, row['instance_id'])
        if key not in masks.found:
            h, w = cv2.imread(f'{folder}/{image}', cv2.IMREAD_UNCHANGED).shape[:2]
            fw, fh = size[image]
            box = (row['x0'] * w / fw, row['y0'] * h / fh, row['x1'] * w / fw, row['y1'] * h / fh)
            masks.found[key] = mask_label(truth[image]['chars'], mask_dir,
                                          instance_mask(workspace.absolute(row['path']), box, (h, w)))
        return masks.found[key][0]
    masks.found = {}
    return masks


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bu = sub.add_parser("build")
    bu.add_argument("folder"); bu.add_argument("--split", choices=sorted(SPLITS), default="s15")
    bu.add_argument("--characters", choices=["cc0", "kenney", "creatures", "one_palette", "creatures_one_palette"],
                    default="cc0",
                    help="cc0: ../shared's Penny & Chip, Sita and Saha (as before); kenney: Kenney's six characters; "
                         "creatures: Kenney's alien and enemies, mostly faceless (session 19; tune: the pack's other "
                         "figures, session 47); one_palette: Kenney's six recoloured into one green (session 54: several designs "
                         "of one palette, several poses each); creatures_one_palette: the creature set's figures recoloured so "
                         "(faceless, other shapes, one palette)")
    bu.add_argument("--redraw", type=int, metavar="SEED",
                    help="kenney: the split's composites drawn again from SEED (other poses, places, sizes, flips, "
                         "pairs and frames of the split; the RGBA sprites as before): another set of the same split")
    ev = sub.add_parser("eval")
    ev.add_argument("home"); ev.add_argument("film"); ev.add_argument("folder"); ev.add_argument("-v", action="store_true")
    ev.add_argument("--reassign", action="store_true", help="run the identity step again on the stored faces")
    ev.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="an identity_clusters parameter for --reassign (JSON value), e.g. min_cluster_size=4")
    args = parser.parse_args()
    if args.command == "build":
        build(args.folder, args.split, args.characters, args.redraw)
    else:
        sets = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
        evaluate(args.home, args.film, args.folder, args.v, sets if args.reassign or sets else None)
