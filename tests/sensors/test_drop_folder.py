import json
import shutil

from dagster import DagsterInstance, SensorResult, build_sensor_context

from resources.store import StorageResource
from sensors.drop_folder import drop_folder_sensor
from sensors.scan import scan_drop_folder


def _tick(instance, home, cursor):
    context = build_sensor_context(instance=instance, cursor=cursor,
                                   resources={"storage": StorageResource(home=str(home))})
    result = drop_folder_sensor(context)
    assert isinstance(result, SensorResult)
    return result


def test_a_dropped_video_becomes_a_partition_and_a_run_once_it_stops_growing(shared, castforge_home):
    drop = castforge_home / "drop"
    drop.mkdir(parents=True)
    instance = DagsterInstance.get()
    video = drop / "test video é.mp4"
    source = (shared / "media/video/pyscenedetect/testvideo.mp4").read_bytes()
    video.write_bytes(source[: len(source) // 3])  # a copy in progress

    first = _tick(instance, castforge_home, None)
    assert not first.run_requests and "waiting for test video é.mp4" in first.skip_reason.skip_message
    video.write_bytes(source)  # the copy grew and finished
    second = _tick(instance, castforge_home, first.cursor)
    assert not second.run_requests  # changed since the last tick: not yet
    third = _tick(instance, castforge_home, second.cursor)
    assert [r.partition_key for r in third.run_requests] == ["test_video_e"]
    assert third.dynamic_partitions_requests[0].partition_keys == ["test_video_e"]
    instance.add_dynamic_partitions("film", ["test_video_e"])
    # the cursor survives a restart: the same file is not requested again
    fourth = _tick(instance, castforge_home, json.loads(json.dumps(third.cursor)))
    assert not fourth.run_requests and not fourth.dynamic_partitions_requests


def test_an_image_folder_is_a_film_and_an_unreadable_file_is_rejected_with_a_reason(shared, castforge_home):
    drop = castforge_home / "drop"
    drop.mkdir(parents=True)
    shutil.copytree(shared / "media/faces/knn_examples/test", drop / "Stills")
    (drop / "notes.mkv").write_text("not a video at all\n" * 50)
    instance = DagsterInstance.get()
    cursor = _tick(instance, castforge_home, None).cursor
    result = _tick(instance, castforge_home, cursor)
    assert [r.partition_key for r in result.run_requests] == ["stills"]
    assert not (drop / "notes.mkv").exists()
    reason = (drop / "rejected" / "notes.mkv.reason.txt").read_text()
    assert "notes.mkv" in reason and "not a readable video" in reason
    assert (drop / "rejected" / "notes.mkv").exists()
    # the sensor goes on: the rejected folder itself is not a candidate
    assert scan_drop_folder(drop, result.cursor).ready == []
