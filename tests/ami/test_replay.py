"""Replays of the real captures over loopback TCP into a real AmiLink."""
from __future__ import annotations

import asyncio
import time

import pytest

from contactcenter.ami.capture import connection_segments, open_capture_bytes
from contactcenter.ami.connection import AmiActionError
from contactcenter.ami.journal import Journal
from contactcenter.ami.protocol import parse_all
from contactcenter.ami.replay import ReplayServer, run_replay
from tests.ami.conftest import CAPTURE_NAMES, CAPTURES


def _records(frames):
    """What a correlator would use: usable messages, minus the login answers (whose ActionID
    is the client's own)."""
    return [f.pairs for f in frames
            if f.usable and not (f.is_response and f.get("Message") == "Authentication accepted")]


def _replay(capture, **kw):
    got = []
    batches = []

    def on_messages(frames, conn):
        batches.append(conn)
        got.extend(frames)

    result = asyncio.run(run_replay(capture, on_messages, timeout=60, **kw))
    return result, got, batches


@pytest.mark.parametrize("name", CAPTURE_NAMES)
def test_every_capture_replays_every_record_once_in_order(name):
    raw = open_capture_bytes(CAPTURES / name)
    expected = parse_all(raw)
    result, got, _ = _replay(CAPTURES / name)
    assert result.connections == 1 and result.drops == 0
    assert got[0].is_banner and got[0].banner == "Asterisk Call Manager/11.0.0"
    assert _records(got) == _records(expected)
    assert all(f.status == "ok" and f.connection == 1 for f in got)
    assert len(got) == len(expected)


def test_tiny_chunks_cut_through_multibyte_names_and_lose_nothing():
    raw = open_capture_bytes(CAPTURES / "cjk-names")
    expected = parse_all(raw)
    result, got, batches = _replay(CAPTURES / "cjk-names", chunk_size=5)
    assert _records(got) == _records(expected)
    assert result.writes == -(-result.bytes_streamed // 5)  # every piece 5 bytes (the last maybe less)
    # the link saw many small reads: most frames completed on a read of their own
    assert len(batches) > len(got) // 2
    names = [f.get("CallerIDName") for f in got if f.name == "Newchannel"]
    assert names.count("张三") == 1 and names.count("李四") == 1 and names.count("聊城市东昌府区居民") == 1
    assert all(f.status == "ok" for f in got)


def test_drop_in_the_middle_of_a_name_then_reconnect_gives_the_same_records():
    raw = open_capture_bytes(CAPTURES / "cjk-names")
    expected = parse_all(raw)
    cut = raw.index("聊城市东昌府区居民".encode()) + 4  # inside the second character
    connects = []
    result, got, _ = _replay(CAPTURES / "cjk-names", drop_at=cut, on_connect=connects.append)
    assert result.connections == 2 and result.drops == 1
    assert connects == [1, 2]
    # nothing lost, nothing doubled
    assert _records(got) == _records(expected)
    # the partial frame connection 1 held was reported, and is the frame the drop cut
    [partial] = [f for f in got if f.status == "truncated"]
    assert partial.connection == 1
    start = raw.rindex(b"\r\n\r\n", 0, cut) + 4
    assert partial.raw == raw[start:cut]
    # connection 2 starts with a new greeting and login, then the cut frame whole
    second = [f for f in got if f.connection == 2]
    assert second[0].is_banner and second[1].get("Message") == "Authentication accepted"
    assert second[2].raw == raw[start:raw.index(b"\r\n\r\n", cut) + 4]


def test_drop_exactly_at_a_frame_boundary_resumes_there():
    raw = open_capture_bytes(CAPTURES / "answered")
    expected = parse_all(raw)
    boundary = sum(len(f.raw) for f in expected[:100])
    result, got, _ = _replay(CAPTURES / "answered", drop_at=boundary)
    assert result.drops == 1
    assert [f for f in got if f.status != "ok"] == []
    assert _records(got) == _records(expected)
    second = [f for f in got if f.connection == 2]
    assert second[2].raw == expected[100].raw


def test_several_recorded_connections_are_served_one_per_client_connection():
    one = connection_segments(CAPTURES / "busy")[0]
    two = connection_segments(CAPTURES / "answered")[0]
    disconnects = []
    result, got, _ = _replay([one, two], on_disconnect=lambda c, r: disconnects.append((c, r)))
    assert result.connections == 2
    assert [f.connection for f in got if f.is_banner] == [1, 2]
    assert _records(got) == _records(parse_all(one)) + _records(parse_all(two))
    assert disconnects[0] == (1, "connection closed by Asterisk")


def test_listener_actions_are_answered_from_the_recording_after_a_drop():
    raw = open_capture_bytes(CAPTURES / "answered")
    expected = parse_all(raw)
    # drop in the middle of call c1: after its caller and agent channels were created
    first_bridge = next(i for i, f in enumerate(expected) if f.name == "BridgeEnter")
    cut = sum(len(f.raw) for f in expected[:first_bridge]) + 10
    alive = {}
    for f in expected[:first_bridge]:  # the channels alive when the cut frame starts
        if f.name == "Newchannel":
            alive[f.get("Uniqueid")] = f.get("Channel")
        elif f.name == "Hangup":
            alive.pop(f.get("Uniqueid"), None)
    assert len(alive) == 2
    answers = {}

    async def scenario():
        from contactcenter.ami.connection import AmiLink
        from contactcenter.config import AmiTarget

        server = ReplayServer(connection_segments(CAPTURES / "answered"), drop_at=cut, speed=20.0)
        await server.start()
        link = None

        async def on_connect(conn):
            if conn == 2:
                answers["channels"] = await link.send_action({"Action": "CoreShowChannels"})
                answers["ping"] = await link.send_action({"Action": "Ping"})
                try:
                    await link.send_action({"Action": "Originate", "Channel": "PJSIP/8001", "Exten": "8002"})
                except AmiActionError as exc:
                    answers["originate"] = str(exc)

        link = AmiLink(AmiTarget(port=server.port, username="replay", secret="x"), lambda fr, c: None,
                       on_connect=on_connect, backoff_initial_s=0.01, backoff_max_s=0.05)
        await link.start()
        await asyncio.wait_for(_until(lambda: "originate" in answers), 20)
        await link.close()
        await server.close()

    asyncio.run(scenario())
    listing = answers["channels"]
    assert listing[0].get("EventList") == "start" and listing[-1].name == "CoreShowChannelsComplete"
    assert {m.get("Uniqueid"): m.get("Channel") for m in listing[1:-1]} == alive
    assert listing[-1].get("ListItems") == "2"
    assert answers["ping"][0].get("Ping") == "Pong"
    assert answers["originate"] == "AMI Originate failed: Originate is not available in a replay"


async def _until(predicate):
    while not predicate():
        await asyncio.sleep(0.01)


def test_speed_paces_by_the_recorded_timestamps():
    seg = (b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: l\r\nMessage: Authentication accepted\r\n\r\n"
           + b"".join(f"Event: Tick\r\nTimestamp: {1796321250 + i}.000000\r\n\r\n".encode() for i in range(4)))
    started = time.perf_counter()
    result, got, _ = _replay([seg], speed=10.0)
    paced = time.perf_counter() - started
    assert [f.name for f in got if f.is_event] == ["Tick"] * 4
    assert paced >= 0.3  # 3 s of recording at 10x
    started = time.perf_counter()
    _replay([seg])
    assert time.perf_counter() - started < paced


def test_replay_into_the_journal_keeps_every_byte(db_url):
    raw = open_capture_bytes(CAPTURES / "cjk-names")
    journal = Journal(db_url, "replay:cjk-names")
    cut = raw.index("张三".encode()) + 1

    asyncio.run(run_replay(CAPTURES / "cjk-names", lambda frames, conn: journal.append(frames),
                           drop_at=cut, chunk_size=97, timeout=60))
    back = list(journal.read())
    assert _records(back) == _records(parse_all(raw))
    assert [f.status for f in back].count("truncated") == 1
    assert {f.connection for f in back} == {1, 2}
    assert sum(1 for f in back if f.is_banner) == 2
