"""AmiLink against a real loopback AMI server (tests/ami/amiserver.py)."""
from __future__ import annotations

import asyncio
import functools
import logging

import pytest

from contactcenter.ami.connection import (AmiActionError, AmiActionTimeout, AmiAuthError, AmiConnectionLost,
                                         AmiLink, AmiNotConnected, backoff_delay)
from contactcenter.config import AmiTarget
from tests.ami.amiserver import FakeAsterisk, frame


def run_async(timeout: float = 20.0):
    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            asyncio.run(asyncio.wait_for(fn(*args, **kwargs), timeout))
        return wrapper
    return deco


class Recorder:
    """Collects what the link hands over, per TCP read."""

    def __init__(self):
        self.batches = []
        self.connects = []
        self.disconnects = []

    def on_messages(self, frames, conn):
        self.batches.append((conn, list(frames)))

    def on_connect(self, conn):
        self.connects.append(conn)

    def on_disconnect(self, conn, reason):
        self.disconnects.append((conn, reason))

    @property
    def frames(self):
        return [f for _, batch in self.batches for f in batch]

    def events(self, name):
        return [f for f in self.frames if f.name == name]


async def _link(server, rec, **kw):
    target = AmiTarget(host="127.0.0.1", port=server.port, username=server.username,
                       secret=kw.pop("secret", server.secret))
    opts = dict(ping_interval_s=30.0, pong_timeout_s=5.0, backoff_initial_s=0.02, backoff_max_s=0.1)
    opts.update(kw)
    return AmiLink(target, rec.on_messages, on_connect=rec.on_connect, on_disconnect=rec.on_disconnect, **opts)


async def _wait(predicate, timeout=5.0):
    async def loop():
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(loop(), timeout)


@run_async()
async def test_login_then_every_message_in_arrival_order():
    server = FakeAsterisk()
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    assert link.connected and rec.connects == [1]
    [login] = server.actions_named("Login")
    assert dict(login)["Events"] == "on" and dict(login)["Username"] == "listener"
    await _wait(lambda: rec.events("FullyBooted"))
    # banner, login response and FullyBooted all reached on_messages, in order
    kinds = [(f.kind, f.get("Response") or f.name) for f in rec.frames]
    assert kinds == [("banner", None), ("message", "Success"), ("message", "FullyBooted")]
    assert link.banner == "Asterisk Call Manager/11.0.0"
    assert {f.connection for f in rec.frames} == {1}
    await link.close()
    assert server.actions_named("Logoff")
    assert rec.disconnects == [(1, "logged off")]
    await server.stop()


@run_async()
async def test_auth_failure_raises_a_clear_error_and_never_logs_the_secret(caplog):
    server = FakeAsterisk()
    await server.start()
    rec = Recorder()
    link = await _link(server, rec, secret="wrong-secret-xyz")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(AmiAuthError) as info:
            await link.start()
    assert str(info.value) == (f"login refused for user 'listener' at 127.0.0.1:{server.port}: "
                               f"Authentication failed")
    assert "wrong-secret-xyz" not in caplog.text and "wrong-secret-xyz" not in str(info.value)
    await link.wait_closed()
    assert len(server.actions_named("Login")) == 1  # no retry loop on a refused password
    await server.stop()


@run_async()
async def test_multibyte_name_cut_by_tcp_gbk_name_crlf_lf_end_and_bad_frames_over_tcp():
    server = FakeAsterisk()
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    zhang = "张三".encode("utf-8")
    stream = (b"Event: Newchannel\r\nUniqueid: r-1.1\r\nCallerIDName: " + zhang + b"\r\n\r\n"
              b"Event: Newchannel\r\nUniqueid: r-1.2\r\nCallerIDName: " + "李四".encode("gbk") + b"\r\n\r\n"
              b"Event: Hangup\r\nUniqueid: r-1.1\r\n\n"  # ends in CRLF LF
              b"Event: Hangup\r\nUniqueid: r-1.2\r\nno colon on this line\r\n\r\n"
              b"Event: Huge\r\nData: " + b"q" * (1 << 20) + b"\r\n\r\n"
              b"Event: Newchannel\r\nUniqueid: r-1.3\r\n\r\n")
    first_cut = stream.index(zhang) + 2
    await server.push(stream[:first_cut])
    await asyncio.sleep(0.05)
    await server.push_in_pieces(stream[first_cut:first_cut + 300], 7)
    await server.push(stream[first_cut + 300:])
    await _wait(lambda: any(f.get("Uniqueid") == "r-1.3" for f in rec.frames))
    got = [f for f in rec.frames if f.name in ("Newchannel", "Hangup") or f.status == "oversized"]
    assert [(f.name or f.event_name, f.get("Uniqueid"), f.status) for f in got] == [
        ("Newchannel", "r-1.1", "ok"), ("Newchannel", "r-1.2", "ok"), ("Hangup", "r-1.1", "ok"),
        ("Hangup", "r-1.2", "malformed"), ("Huge", None, "oversized"), ("Newchannel", "r-1.3", "ok")]
    assert got[0].get("CallerIDName") == "张三"
    assert got[1].get("CallerIDName") == "李四"
    # the link is still up and answers
    assert (await link.send_action({"Action": "Ping"}))[0].get("Ping") == "Pong"
    await link.close()
    await server.stop()


@run_async()
async def test_replies_resolve_errors_raise_and_timeouts_are_clean():
    server = FakeAsterisk()
    server.refuse.add("hangup")
    server.silent.add("queuestatus")
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    [pong] = await link.send_action({"Action": "Ping", "ActionID": "my-ping-1"})
    assert pong.pairs == [("Response", "Success"), ("ActionID", "my-ping-1"), ("Ping", "Pong"),
                          ("Timestamp", "1796321252.000000")]
    with pytest.raises(AmiActionError) as info:
        await link.send_action({"Action": "Hangup", "Channel": "PJSIP/8001-00000001"})
    assert str(info.value) == "AMI Hangup failed: Permission denied"
    with pytest.raises(AmiActionTimeout):
        await link.send_action({"Action": "QueueStatus"}, timeout=0.2)
    assert link._pending == {}
    # the responses also reached on_messages (journaled like everything else)
    assert sum(1 for f in rec.frames if f.get("ActionID") == "my-ping-1") == 1
    await link.close()
    await server.stop()


@run_async()
async def test_list_action_collects_events_up_to_complete():
    server = FakeAsterisk()
    server.channels = [
        {"Channel": "PJSIP/trunk-00000001", "Uniqueid": "hotline-rig-1.1", "Linkedid": "hotline-rig-1.1",
         "CallerIDNum": "13900001101", "CallerIDName": "张三"},
        {"Channel": "PJSIP/8001-00000002", "Uniqueid": "hotline-rig-1.2", "Linkedid": "hotline-rig-1.1"},
    ]
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    answer = await link.send_action({"Action": "CoreShowChannels"})
    assert [m.get("Response") or m.name for m in answer] == [
        "Success", "CoreShowChannel", "CoreShowChannel", "CoreShowChannelsComplete"]
    assert [m.get("Uniqueid") for m in answer[1:3]] == ["hotline-rig-1.1", "hotline-rig-1.2"]
    assert answer[1].get("CallerIDName") == "张三"
    assert answer[3].get("ListItems") == "2"
    # the unrelated event in the middle is not part of the answer but was delivered
    assert len(rec.events("Newexten")) == 1
    await link.close()
    await server.stop()


@run_async()
async def test_injection_is_refused_before_anything_is_written():
    server = FakeAsterisk()
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    before = len(server.actions)
    with pytest.raises(ValueError):
        await link.send_action({"Action": "Originate", "Channel": "PJSIP/8001",
                                "Exten": "13900001234\r\nAction: Hangup"})
    assert link._pending == {}
    await link.send_action({"Action": "Ping"})
    assert [dict(p)["Action"] for _, p in server.actions[before:]] == ["Ping"]
    await link.close()
    await server.stop()


@run_async()
async def test_missing_pong_declares_the_connection_dead_and_reconnects():
    server = FakeAsterisk()
    server.withhold_pong = {1}  # a half-open link: connection 1 stays open but never answers
    await server.start()
    rec = Recorder()
    link = await _link(server, rec, ping_interval_s=0.1, pong_timeout_s=0.3)
    await link.start()
    await _wait(lambda: rec.connects == [1, 2], timeout=5)
    assert rec.disconnects == [(1, "no answer to Ping within 0.3 s (connection presumed dead)")]
    assert server.logins == 2
    await _wait(lambda: server.actions_named("Ping", conn=2))
    await asyncio.sleep(0.3)
    assert rec.connects == [1, 2]  # connection 2 answers its Pings and stays
    await link.close()
    await server.stop()


@run_async()
async def test_unanswered_action_is_failed_not_resent_after_reconnect():
    server = FakeAsterisk()
    server.silent.update({"originate", "queuestatus"})
    await server.start()
    rec = Recorder()
    link = await _link(server, rec)
    await link.start()
    originate = asyncio.ensure_future(link.send_action(
        {"Action": "Originate", "Channel": "PJSIP/8010", "Exten": "13900007001", "Async": "true"}))
    kept = asyncio.ensure_future(link.send_action({"Action": "QueueStatus", "ActionID": "qs-1"},
                                                  resend_on_reconnect=True, timeout=5))
    await server.wait_for(lambda: server.actions_named("QueueStatus", conn=1))
    server.silent.discard("queuestatus")
    server.drop(1)
    with pytest.raises(AmiConnectionLost) as info:
        await originate
    assert "not re-sent" in str(info.value)
    answer = await kept  # re-sent on connection 2 and answered there
    assert answer[0].get("ActionID") == "qs-1" and answer[0].connection == 2
    assert len(server.actions_named("Originate")) == 1
    assert server.actions_named("Originate", conn=2) == []
    assert len(server.actions_named("QueueStatus", conn=2)) == 1
    assert rec.connects == [1, 2] and rec.disconnects[0][0] == 1
    await link.close()
    await server.stop()


@run_async()
async def test_not_connected_raises_unless_resend_requested_and_backoff_reconnects():
    probe = FakeAsterisk()
    port = await probe.start()
    await probe.stop()  # the port is now closed: connections are refused
    rec = Recorder()
    target = AmiTarget(host="127.0.0.1", port=port, username="listener", secret="s3cret-pw")
    link = AmiLink(target, rec.on_messages, on_connect=rec.on_connect, backoff_initial_s=0.02, backoff_max_s=0.1)
    starting = asyncio.ensure_future(link.start())
    await asyncio.sleep(0.3)
    assert not starting.done()  # keeps trying while Asterisk is away
    with pytest.raises(AmiNotConnected):
        await link.send_action({"Action": "Ping"})
    waiting = asyncio.ensure_future(link.send_action({"Action": "Ping", "ActionID": "later"},
                                                     resend_on_reconnect=True, timeout=10))
    server = FakeAsterisk()
    await server.start(port)
    await starting
    assert (await waiting)[0].get("Ping") == "Pong"
    await link.close()
    await server.stop()


def test_backoff_doubles_is_capped_and_jittered():
    assert [backoff_delay(a, 0.5, 30, 0.999999) for a in range(8)] == pytest.approx(
        [0.5, 1, 2, 4, 8, 16, 30, 30], rel=1e-5)
    assert backoff_delay(3, 0.5, 30, 0.0) == 2.0  # jitter never goes below half
    assert backoff_delay(100, 0.5, 30, 0.5) == 22.5
