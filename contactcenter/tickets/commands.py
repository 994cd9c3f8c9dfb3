"""Commands: `orders`, `units`, `route`, `duty` - the work-order desk without the panel.

Who acts is given with `--as ROLE:NAME[:UNIT_CODE]` (default `operator:cli`), e.g.
`--as unit_handler:li:C01` for a handler of 东昌府区; the same role checks as in the panel apply.
"""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

ACTION_OPTIONS = {  # action -> (command-line option dest, workflow parameter)
    "resolve_directly": [("answer", "answer"), ("kb", "kb_article_ids")],
    "submit_for_approval": [("unit", "unit_id"), ("note", "note")],
    "approve": [("instructions", "instructions"), ("days", "time_limit_days")],
    "send_back": [("note", "note")],
    "dispatch": [("unit", "unit_id"), ("days", "time_limit_days"), ("due", "due_at"), ("note", "note")],
    "accept": [("note", "note")],
    "return_to_centre": [("reason", "reason")],
    "request_extension": [("days", "days"), ("reason", "reason")],
    "approve_extension": [("note", "note")],
    "refuse_extension": [("note", "note")],
    "reply": [("reply", "reply")],
    "notify_caller": [("channel", "channel"), ("note", "note")],
    "record_opinion": [("satisfaction", "satisfaction"), ("objection_reasonable", "objection_reasonable"),
                       ("note", "note")],
    "escalate": [("note", "note")],
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _json_default(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_json_default)


def _local(value: dt.datetime | None, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if value else "-"


def _parse_time(text: str, tz: str, name: str) -> dt.datetime:
    """An ISO date (local midnight) or datetime (local unless it carries an offset)."""
    from contactcenter.cli import CliError

    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"{name}: expected an ISO date or time like 2026-12-01 or 2026-12-01T09:30, "
                       f"got {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # 0001-01-01 in a zone east of UTC is before the first representable instant
        raise CliError(f"{name}: {text!r} is out of range") from None


def _open(args):
    """Settings, a ready database and the acting user."""
    from contactcenter.cli import CliError, settings_from
    from contactcenter.db import ensure_schema, session_scope
    from contactcenter.tickets import service
    from contactcenter.tickets.workflow import Actor, InvalidInput

    settings = settings_from(args)
    ensure_schema(settings.db_url)
    parts = (getattr(args, "actor", None) or "operator:cli").split(":")
    if len(parts) not in (2, 3):
        raise CliError("--as must be ROLE:NAME or unit_handler:NAME:UNIT_CODE")
    unit_id = None
    if len(parts) == 3:
        with session_scope(settings.db_url) as s:
            try:
                unit_id = service.unit_by_code(s, parts[2]).id
            except InvalidInput as exc:
                raise CliError(str(exc)) from None
    try:
        actor = Actor(parts[0], parts[1], unit_id)
    except InvalidInput as exc:
        raise CliError(str(exc)) from None
    return settings, actor


def _run(args, fn):
    """Run fn(session, settings, actor) in one unit of work; service errors become CliErrors."""
    from contactcenter.cli import CliError
    from contactcenter.db import session_scope
    from contactcenter.tickets.workflow import WorkflowError

    settings, actor = _open(args)
    try:
        with session_scope(settings.db_url) as session:
            return fn(session, settings, actor)
    except (WorkflowError, ValueError) as exc:
        raise CliError(str(exc)) from None


def _unit_id(session, code):
    from contactcenter.tickets import service

    return None if code is None else service.unit_by_code(session, code).id


def _print_orders(items, fmt, tz):
    if fmt == "jsonl":
        for o in items:
            print(_dump(o))
        return
    print(f"{'id':>8}  {'status':<19} {'type':<12} {'unit':<16} {'due':<16} {'state':<9} subject")
    for o in items:
        print(f"{o['id']:>8}  {o['status']:<19} {o['order_type']:<12} {(o['unit_name'] or '-')[:14]:<16} "
              f"{_local(o['due_at'], tz):<16} {o['due_state']:<9} {o['subject'][:40]}")


# --- orders ---------------------------------------------------------------------------------------

def cmd_orders_list(args):
    from contactcenter.tickets import service

    def go(s, settings, actor):
        page = service.list_orders(
            s, actor, _now(), status=args.status or None, unit_id=_unit_id(s, args.unit),
            due_state=args.due, text=args.search, order_type=args.type,
            created_from=_parse_time(args.date_from, settings.site_timezone, "--from") if args.date_from else None,
            created_to=_parse_time(args.date_to, settings.site_timezone, "--to") if args.date_to else None,
            limit=args.limit, offset=args.offset)
        _print_orders(page.items, args.format, settings.site_timezone)
        if page.has_more and args.format == "table":
            print(f"... more: --offset {args.offset + args.limit}")
    _run(args, go)


def cmd_orders_show(args):
    from contactcenter.tickets import service

    def go(s, settings, actor):
        o = service.get_order(s, args.id, actor, _now())
        if args.format == "json":
            print(_dump(o))
            return
        tz = settings.site_timezone
        print(f"work order {o['id']}  [{o['status']}]  {o['order_type']} / {o['category']}")
        print(f"  subject:  {o['subject']}")
        print(f"  caller:   {o['caller_number'] or '-'} {o['caller_name'] or ''}  via {o['channel']}"
              f"{'  call ' + o['call_id'] if o['call_id'] else ''}")
        print(f"  location: {' '.join(x for x in (o['county'], o['town'], o['address']) if x) or '-'}")
        print(f"  unit:     {o['unit_name'] or '-'}  due {_local(o['due_at'], tz)} ({o['due_state']})")
        print(f"  {o['description']}")
        if o["reply"]:
            print(f"  reply: {o['reply']}")
        print("  history:")
        for e in o["history"]:
            print(f"    {_local(e['at'], tz)}  {e['action']:<19} {e['from'] or '-':>19} → {e['to']:<19} "
                  f"{e['actor_role']}:{e['actor_name']}{'  ' + e['note'] if e['note'] else ''}")
        print(f"  you may: {', '.join(o['allowed_actions']) or '-'}")
    _run(args, go)


def cmd_orders_create(args):
    from contactcenter.tickets import service

    def go(s, settings, actor):
        o = service.create_order(
            s, actor, _now(), channel=args.channel, order_type=args.type, category=args.category,
            subject=args.subject, description=args.description, caller_number=args.caller,
            caller_name=args.caller_name, call_id=args.call_id, county=args.county, town=args.town,
            address=args.address, important=args.important, complex_case=args.complex)
        print(_dump({"id": o["id"], "status": o["status"]}))
    _run(args, go)


def cmd_orders_act(args):
    from contactcenter.cli import CliError
    from contactcenter.tickets import service

    action = args.action
    if action not in ACTION_OPTIONS:
        raise CliError(f"unknown action {action!r} (one of {', '.join(ACTION_OPTIONS)})")

    def go(s, settings, actor):
        params = {}
        for dest, param in ACTION_OPTIONS[action]:
            value = getattr(args, dest, None)
            if value is None or value is False and dest != "objection_reasonable":
                continue
            if dest == "unit":
                value = service.unit_by_code(s, value).id
            elif dest == "due":
                value = _parse_time(value, settings.site_timezone, "--due")
            params[param] = value
        if action == "notify_caller":
            o = service.notify_caller(s, args.id, params.get("channel"), actor, _now(), params.get("note"))
        else:
            o = service.act(s, args.id, action, actor, _now(), **params)
        print(_dump({"id": o["id"], "status": o["status"], "unit_id": o["unit_id"], "due_at": o["due_at"]}))
    _run(args, go)


def cmd_orders_dispatch(args):
    args.action = "dispatch"
    cmd_orders_act(args)


def cmd_orders_stats(args):
    from contactcenter.tickets.stats import work_order_stats

    def go(s, settings, actor):
        tz = settings.site_timezone
        end = _parse_time(args.date_to, tz, "--to") if args.date_to else _now()
        start = _parse_time(args.date_from, tz, "--from") if args.date_from else end - dt.timedelta(days=30)
        st = work_order_stats(s, start, end)
        if args.format == "json":
            print(_dump(st))
            return
        print(f"{'unit':<28} {'disp':>5} {'ret':>4} {'repl':>5} {'ontime':>7} {'redo':>5} {'satisf':>7}")
        for u in st["units"]:
            print(f"{u['name'][:26]:<28} {u['dispatched']:>5} {u['returns']:>4} {u['replies']:>5} "
                  f"{_pct(u['on_time_reply_rate']):>7} {u['redo']:>5} {_pct(u['satisfaction_rate']):>7}")
        o = st["overall"]
        print(f"overall: created {o['created']}, answered on the spot {o['direct_resolved']} "
              f"({_pct(o['direct_resolution_rate'])}), on time {_pct(o['on_time_reply_rate'])}, "
              f"satisfied {_pct(o['satisfaction_rate'])}, returns {o['returns']}, redo {o['redo']}")
    _run(args, go)


def _pct(rate):
    return "-" if rate is None else f"{rate * 100:.1f}%"


def cmd_orders_escalate(args):
    from contactcenter.tickets.jobs import escalate_overdue

    def go(s, settings, actor):
        ids = escalate_overdue(s, _now())
        print(_dump({"escalated": ids}))
    _run(args, go)


def cmd_orders_reindex(args):
    from contactcenter.tickets.service import index_missing_terms

    def go(s, settings, actor):
        print(_dump({"indexed": index_missing_terms(s)}))
    _run(args, go)


# --- units, route, duty ---------------------------------------------------------------------------

def cmd_units_list(args):
    from contactcenter.tickets import service

    def go(s, settings, actor):
        for u in service.list_units(s, kind=args.kind):
            if args.format == "jsonl":
                print(_dump(u))
            else:
                print(f"{u['code']:<4} {u['kind']:<10} {u['name']:<24} {'vertical' if u['vertical'] else ''}")
    _run(args, go)


def cmd_route(args):
    from contactcenter.tickets import service

    def go(s, settings, actor):
        for sug in service.suggest_units(s, args.text, county=args.county, town=args.town, top=args.top):
            if args.format == "jsonl":
                print(_dump(sug))
            else:
                print(f"{sug['code']}  {sug['name']}  (score {sug['score']})")
                for r in sug["reasons"]:
                    print(f"      {r}")
    _run(args, go)


def cmd_duty_schedule(args):
    from contactcenter.duty import service as duty

    def go(s, settings, actor):
        now = _now()
        if args.plan:
            duty.plan_weeks(s, actor, now, weeks=args.plan)
        if args.publish:
            duty.publish_due(s, now)
        for slot in duty.list_schedule(s, now, published_only=args.published_only, weeks=args.weeks):
            if args.format == "jsonl":
                print(_dump(slot))
            else:
                print(f"{slot['duty_date']}  {_local(slot['starts_at'], settings.site_timezone)[11:]}-"
                      f"{_local(slot['ends_at'], settings.site_timezone)[11:]}  {slot['unit_name']:<24} "
                      f"{slot['head_name'] or ''} {slot['head_title'] or ''}  "
                      f"{'published' if slot['published_at'] else 'planned'}")
    _run(args, go)


def cmd_duty_digest(args):
    from contactcenter.duty import service as duty
    from contactcenter.tickets import service

    def go(s, settings, actor):
        d = duty.digest(s, service.unit_by_code(s, args.unit).id, _now(), days=args.days)
        if args.format == "json":
            print(_dump(d))
            return
        print(f"{d['unit_name']}: {d['orders']} work orders in {d['period_days']} days "
              f"(previous period {d['previous_orders']}), {d['orders_from_calls']} from calls")
        for t in d["topics"]:
            arrow = {"up": "↑", "down": "↓", "flat": "→"}[t["trend"]]
            print(f"  {t['category']}: {t['count']} {arrow} (was {t['previous']})")
            for ex in t["examples"]:
                print(f"    - {ex['subject']}: {ex['description'][:80]}")
    _run(args, go)


def _int_positive(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def register(sub, common) -> None:
    from contactcenter.tickets.workflow import ORDER_TYPES, SATISFACTION, STATES

    who = {"dest": "actor", "metavar": "ROLE:NAME[:UNIT]", "default": None,
           "help": "who acts (default operator:cli); unit handlers add their unit code"}

    orders = sub.add_parser("orders", parents=[common], help="work orders: list, show, create, dispatch, act")
    osub = orders.add_subparsers(dest="orders_command", metavar="ACTION", required=True)

    p = osub.add_parser("list", parents=[common], help="list and search work orders")
    p.add_argument("--as", **who)
    p.add_argument("--status", action="append", choices=STATES)
    p.add_argument("--unit", metavar="CODE")
    p.add_argument("--due", choices=("overdue", "due_soon", "on_track"))
    p.add_argument("--search", metavar="TEXT")
    p.add_argument("--type", choices=list(ORDER_TYPES))
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--limit", type=_int_positive, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_orders_list)

    p = osub.add_parser("show", parents=[common], help="one work order with its history")
    p.add_argument("id", type=_int_positive)
    p.add_argument("--as", **who)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_orders_show)

    p = osub.add_parser("create", parents=[common], help="register a request")
    p.add_argument("--as", **who)
    p.add_argument("--channel", choices=("phone", "web", "sms"), required=True)
    p.add_argument("--type", choices=list(ORDER_TYPES), required=True)
    p.add_argument("--category", required=True)
    p.add_argument("--subject", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--caller")
    p.add_argument("--caller-name")
    p.add_argument("--call-id", help="the call record's call_id (required for phone)")
    p.add_argument("--county")
    p.add_argument("--town")
    p.add_argument("--address")
    p.add_argument("--important", action="store_true", help="needs a city leader's approval")
    p.add_argument("--complex", action="store_true", help="complex case: 7 working days")
    p.set_defaults(func=cmd_orders_create)

    def action_options(p, with_unit=True):
        p.add_argument("--as", **who)
        if with_unit:
            p.add_argument("--unit", metavar="CODE")
        p.add_argument("--days", type=_int_positive)
        p.add_argument("--due", metavar="TIME")
        p.add_argument("--note")
        p.add_argument("--reason")
        p.add_argument("--reply")
        p.add_argument("--answer")
        p.add_argument("--instructions")
        p.add_argument("--kb", type=_int_positive, action="append", metavar="ARTICLE_ID")
        p.add_argument("--channel", choices=("phone", "sms"))
        p.add_argument("--satisfaction", choices=list(SATISFACTION))
        p.add_argument("--objection-reasonable", action="store_true")

    p = osub.add_parser("dispatch", parents=[common], help="send an order to a handling unit")
    p.add_argument("id", type=_int_positive)
    p.add_argument("unit", metavar="UNIT_CODE")
    action_options(p, with_unit=False)
    p.set_defaults(func=cmd_orders_dispatch)

    p = osub.add_parser("act", parents=[common], help="any workflow action: " + ", ".join(ACTION_OPTIONS))
    p.add_argument("id", type=_int_positive)
    p.add_argument("action")
    action_options(p)
    p.set_defaults(func=cmd_orders_act)

    p = osub.add_parser("stats", parents=[common], help="per-unit figures (default: last 30 days)")
    p.add_argument("--as", **who)
    p.add_argument("--from", dest="date_from", metavar="DATE")
    p.add_argument("--to", dest="date_to", metavar="DATE")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_orders_stats)

    p = osub.add_parser("escalate", parents=[common], help="escalate overdue orders now (the job does it)")
    p.add_argument("--as", **who)
    p.set_defaults(func=cmd_orders_escalate)

    p = osub.add_parser("reindex", parents=[common],
                        help="write the search terms of orders that have none (created by a process older than the database)")
    p.set_defaults(func=cmd_orders_reindex)

    units = sub.add_parser("units", parents=[common], help="handling units")
    usub = units.add_subparsers(dest="units_command", metavar="ACTION", required=True)
    p = usub.add_parser("list", parents=[common], help="list handling units")
    p.add_argument("--kind", choices=("county", "zone", "department"))
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_units_list, actor=None)

    p = sub.add_parser("route", parents=[common], help="suggest the handling unit for a request text")
    p.add_argument("text")
    p.add_argument("--county")
    p.add_argument("--town")
    p.add_argument("--top", type=_int_positive, default=3)
    p.add_argument("--format", choices=("text", "jsonl"), default="text")
    p.set_defaults(func=cmd_route, actor=None)

    duty = sub.add_parser("duty", parents=[common], help="leader duty schedule and digest")
    dsub = duty.add_subparsers(dest="duty_command", metavar="ACTION", required=True)
    p = dsub.add_parser("schedule", parents=[common], help="show (and --plan / --publish) the schedule")
    p.add_argument("--as", **who)
    p.add_argument("--plan", type=_int_positive, metavar="WEEKS", help="plan this many more weeks")
    p.add_argument("--publish", action="store_true", help="publish slots now a week away")
    p.add_argument("--published-only", action="store_true")
    p.add_argument("--weeks", type=_int_positive, default=8)
    p.add_argument("--format", choices=("table", "jsonl"), default="table")
    p.set_defaults(func=cmd_duty_schedule)
    p = dsub.add_parser("digest", parents=[common], help="a unit's hot topics before its duty")
    p.add_argument("unit", metavar="UNIT_CODE")
    p.add_argument("--as", **who)
    p.add_argument("--days", type=_int_positive, default=30)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_duty_digest)
