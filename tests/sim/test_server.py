"""The simulator's AMI server over real loopback TCP: login, actions, events, originate
counting, clients that come and go, and an Asterisk restart."""
from __future__ import annotations

import asyncio

import pytest

from contactcenter.sim.model import CustomerBehaviour, SeatBehaviour
from contactcenter.sim.server import Simulator
from tests.sim.amiclient import AmiTestClient

START = 1796321250.0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


async def _sim(**kw) -> Simulator:
    sim = Simulator(speed=None, seed=1, start=START, **kw)
    await sim.start()
    return sim


def test_login_banner_and_fully_booted():
    async def main():
        sim = await _sim()
        try:
            c = await AmiTestClient.connect(sim.port)
            assert c.banner == "Asterisk Call Manager/11.0.0"
            resp = await c.login()
            assert resp == [("Response", "Success"), ("ActionID", "login-1"), ("Message", "Authentication accepted")]
            booted = dict(await c.read())
            assert booted["Event"] == "FullyBooted" and booted["Status"] == "Fully Booted"
            assert booted["Uptime"] == "171"
            assert dict(await c.read())["Event"] == "SuccessfulAuth"
            await c.send(Action="Logoff", ActionID="bye")
            assert await c.read() == [("Response", "Goodbye"), ("ActionID", "bye"), ("Message", "Thanks for all the fish.")]
            assert await c.read() is None
        finally:
            await sim.stop()
    run(main())


def test_bad_login_unknown_action_and_ping():
    async def main():
        sim = await _sim()
        try:
            c = await AmiTestClient.connect(sim.port)
            await c.send(Action="Ping", ActionID="p0")
            assert await c.read() == [("Response", "Error"), ("ActionID", "p0"), ("Message", "Permission denied")]
            assert await c.login(secret="wrong") == [("Response", "Error"), ("ActionID", "login-1"),
                                                      ("Message", "Authentication failed")]
            assert (await c.login())[0] == ("Response", "Success")
            await c.drain_pending()
            await c.send(Action="MakeCoffee", ActionID="x1")
            assert await c.read() == [("Response", "Error"), ("ActionID", "x1"), ("Message", "Invalid/unknown command")]
            await c.send(Action="Ping", ActionID="p1")
            pong = await c.read()
            assert pong[:3] == [("Response", "Success"), ("ActionID", "p1"), ("Ping", "Pong")]
            assert pong[3] == ("Timestamp", f"{START:.6f}")
            await c.close()
        finally:
            await sim.stop()
    run(main())


def test_queue_actions_and_lists():
    async def main():
        sim = await _sim()
        m = sim.model
        try:
            c = await AmiTestClient.connect(sim.port)
            await c.login()
            await c.drain_pending()
            await c.send(Action="QueueAdd", ActionID="qa", Queue="hotline", Interface="PJSIP/8001",
                         MemberName="Agent 8001", StateInterface="PJSIP/8001", Penalty="0")
            assert await c.read() == [("Response", "Success"), ("ActionID", "qa"), ("Message", "Added interface to queue")]
            added = dict(await c.read())
            assert (added["Event"], added["Interface"], added["MemberName"]) == ("QueueMemberAdded", "PJSIP/8001", "Agent 8001")
            await c.send(Action="QueueAdd", ActionID="qa2", Queue="hotline", Interface="PJSIP/8001")
            _, seen = await c.read_until(lambda d: d.get("ActionID") == "qa2")
            assert dict(seen[-1])["Message"] == "Unable to add interface: Already there"
            m.seats["8001"].behaviour = SeatBehaviour(answer_after=None)
            m.place_call("13900001101", patience=60)
            m.place_call("13900001102", patience=60)
            await sim.advance(6)
            await c.drain_pending()
            await c.send(Action="QueueStatus", ActionID="qs")
            _, seen = await c.read_until(lambda d: d.get("Event") == "QueueStatusComplete")
            kinds = [dict(x).get("Event") or dict(x).get("Response") for x in seen]
            assert kinds == ["Success", "QueueParams", "QueueMember", "QueueEntry", "QueueEntry", "QueueStatusComplete"]
            entries = [dict(x) for x in seen if dict(x).get("Event") == "QueueEntry"]
            assert [(e["Position"], e["CallerIDNum"]) for e in entries] == [("1", "13900001101"), ("2", "13900001102")]
            assert dict(seen[-1])["ListItems"] == "4"
            await c.send(Action="QueueSummary", ActionID="sum")
            _, seen = await c.read_until(lambda d: d.get("Event") == "QueueSummaryComplete")
            summary = dict(seen[1])
            assert (summary["LoggedIn"], summary["Available"], summary["Callers"]) == ("1", "0", "2")
            await c.send(Action="CoreShowChannels", ActionID="cs")
            _, seen = await c.read_until(lambda d: d.get("Event") == "CoreShowChannelsComplete")
            names = sorted(dict(x)["Channel"] for x in seen if dict(x).get("Event") == "CoreShowChannel")
            assert names == ["PJSIP/8001-00000003", "PJSIP/trunk-00000001", "PJSIP/trunk-00000002"]
            assert dict(seen[-1])["ListItems"] == "3"
            await c.send(Action="QueuePause", ActionID="qp", Queue="hotline", Interface="PJSIP/8001",
                         Paused="true", Reason="lunch")
            resp, seen = await c.read_until(lambda d: d.get("ActionID") == "qp")
            assert dict(resp)["Message"] == "Interface paused successfully"
            pause = [dict(x) for x in await c.drain_pending() + seen if dict(x).get("Event") == "QueueMemberPause"]
            assert pause and pause[0]["Paused"] == "1" and pause[0]["PausedReason"] == "lunch"
            await c.send(Action="QueuePause", ActionID="qp2", Interface="PJSIP/8099", Paused="false")
            resp, _ = await c.read_until(lambda d: d.get("ActionID") == "qp2")
            assert dict(resp)["Response"] == "Error"
            await c.close()
        finally:
            await sim.stop()
    run(main())


def test_originate_outcomes_and_counts():
    async def main():
        sim = await _sim()
        m = sim.model
        m.seats["8010"].behaviour = SeatBehaviour(answer_after=1.5)
        m.seats["8013"].behaviour = SeatBehaviour(answer_after=None)
        m.seats["8014"].behaviour = SeatBehaviour(reject=486)
        m.set_customer("13900007001", CustomerBehaviour("answer", 3.0, 9.0))
        try:
            c = await AmiTestClient.connect(sim.port)
            await c.login()
            await c.drain_pending()
            for seat, number, aid in (("8010", "13900007001", "cb1"), ("8013", "13900007004", "cb4"),
                                      ("8014", "13900007005", "cb5")):
                await c.send(Action="Originate", ActionID=aid, Channel=f"PJSIP/{seat}", Context="callback",
                             Exten=number, Priority="1", CallerID='"Hotline Callback" <12345>', Timeout="15000",
                             Async="true", Variable=[f"CALLBACK_ID={aid}", f"__HOTLINE_SESSION=cb-{aid}"])
                assert await c.read() == [("Response", "Success"), ("ActionID", aid),
                                          ("Message", "Originate successfully queued")]
            await sim.advance(20)
            seen = await c.drain_pending()
            responses = {d["ActionID"]: d for d in map(dict, seen) if d.get("Event") == "OriginateResponse"}
            assert (responses["cb1"]["Response"], responses["cb1"]["Reason"]) == ("Success", "4")
            assert responses["cb1"]["Channel"].startswith("PJSIP/8010-")
            assert (responses["cb4"]["Response"], responses["cb4"]["Reason"], responses["cb4"]["Uniqueid"]) == \
                ("Failure", "3", "<unknown>")
            assert (responses["cb5"]["Response"], responses["cb5"]["Reason"], responses["cb5"]["Channel"]) == \
                ("Failure", "0", "PJSIP/8014")
            assert sim.originate_counts() == {"13900007001": 1, "13900007004": 1, "13900007005": 1}
            await c.send(Action="Originate", ActionID="bad", Channel="PJSIP/8010", Context="callback",
                         Exten="1390000;Hangup", Async="true")
            resp = dict(await c.read())
            assert resp["Response"] == "Error"
            await c.send(Action="Originate", ActionID="again", Channel="PJSIP/8010", Context="callback",
                         Exten="13900007001", Async="true", CallerID='"Hotline Callback" <12345>')
            await c.read()
            assert sim.originate_counts()["13900007001"] == 2
            await c.close()
        finally:
            await sim.stop()
    run(main())


def test_client_leaving_mid_call_and_next_client():
    async def main():
        sim = await _sim()
        m = sim.model
        m.seats["8001"].behaviour = SeatBehaviour(answer_after=2.0, talk_s=10.0)
        try:
            a = await AmiTestClient.connect(sim.port)
            await a.login()
            m.queue_add("8001")
            m.place_call("13900001101", patience=60)
            await sim.advance(7)           # ringing/answered while A listens
            first = [dict(x) for x in await a.drain_pending()]
            assert any(d.get("Event") == "AgentConnect" for d in first)
            await a.close()                # A leaves mid-call
            await sim.advance(3)
            assert len(m.calls) == 1       # the call goes on
            b = await AmiTestClient.connect(sim.port)
            await b.login()
            await sim.advance(10)
            later = [dict(x) for x in await b.drain_pending()]
            names = [d.get("Event") for d in later]
            assert "Newchannel" not in names and "AgentConnect" not in names   # nothing replayed
            assert names.count("Hangup") == 2 and "AgentComplete" in names
            assert len(m.calls) == 0
            await b.close()
        finally:
            await sim.stop()
    run(main())


def test_restart_drops_connections_and_starts_counters_again():
    async def main():
        sim = await _sim()
        m = sim.model
        try:
            c = await AmiTestClient.connect(sim.port)
            await c.login()
            m.queue_add("8001")
            m.place_call("13900001101", patience=60)
            m.place_call("13900001102", patience=60)
            await sim.advance(30)
            await sim.restart_pbx(down_s=0.05)
            rest = await c.drain_pending(0.2)
            assert all(dict(x).get("Event") != "Hangup" for x in rest)   # a crash says nothing
            assert await c.read(1) is None
            await sim.advance(5)
            c2 = await AmiTestClient.connect(sim.port)
            await c2.login()
            booted = dict(await c2.read())
            assert booted["Event"] == "FullyBooted" and booted["Uptime"] == "5"
            m.place_call("13900001103", patience=10)
            await sim.advance(1)
            new = [dict(x) for x in await c2.drain_pending() if dict(x).get("Event") == "Newchannel"]
            assert new[0]["Channel"] == "PJSIP/trunk-00000001"
            assert new[0]["Uniqueid"] == f"hotline-rig-{int(START) + 35}.1"
            await c2.close()
        finally:
            await sim.stop()
    run(main())


def test_real_time_speed_and_events_off():
    async def main():
        sim = Simulator(speed=50.0, seed=2, start=START)
        await sim.start()
        try:
            quiet = await AmiTestClient.connect(sim.port)
            await quiet.login(events="off")
            loud = await AmiTestClient.connect(sim.port)
            await loud.login()
            sim.model.place_call("13900001101", patience=3)
            msg, _ = await loud.read_until(lambda d: d.get("Event") == "Hangup", timeout=3)
            assert dict(msg)["Cause"] == "0"
            assert [m for m in await quiet.drain_pending(0.2)] == []
            await quiet.close()
            await loud.close()
        finally:
            await sim.stop()
    run(main())


def test_hangup_action_ends_a_ringing_callback():
    async def main():
        sim = await _sim()
        sim.model.seats["8010"].behaviour = SeatBehaviour(answer_after=None)
        try:
            c = await AmiTestClient.connect(sim.port)
            await c.login()
            await c.drain_pending()
            await c.send(Action="Originate", ActionID="cb9", Channel="PJSIP/8010", Context="callback",
                         Exten="13900007009", CallerID='"Hotline Callback" <12345>', Timeout="15000", Async="true",
                         Variable="CALLBACK_ID=cb9")
            await c.read()
            await sim.advance(2)
            await c.send(Action="CoreShowChannels", ActionID="cs")
            _, seen = await c.read_until(lambda d: d.get("Event") == "CoreShowChannelsComplete")
            chan = [x for x in seen if dict(x).get("Event") == "CoreShowChannel"]
            assert ("ChanVariable", "CALLBACK_ID=cb9") in chan[0]
            name = dict(chan[0])["Channel"]
            await c.send(Action="Hangup", ActionID="h1", Channel=name, Cause="16")
            resp, _ = await c.read_until(lambda d: d.get("ActionID") == "h1")
            assert dict(resp)["Message"] == "Channel Hungup"
            await sim.advance(1)
            after = [dict(x) for x in await c.drain_pending()]
            assert [d["Event"] for d in after if d.get("Event") in ("OriginateResponse", "Hangup")] == \
                ["OriginateResponse", "Hangup"]
            assert len(sim.model.calls) == 0
            await c.send(Action="Hangup", ActionID="h2", Channel=name)
            resp, _ = await c.read_until(lambda d: d.get("ActionID") == "h2")
            assert dict(resp) == {"Response": "Error", "ActionID": "h2", "Message": "No such channel"}
            await c.close()
        finally:
            await sim.stop()
    run(main())
