"""Deleting a user ends everything of theirs (issue: a user deleted in Supabase Auth left their
messages, their current sealed checkpoint and their WhatsApp device linked). The user is deleted
the way Supabase Auth's admin API does it: a delete in auth.users. Their linked devices are logged
out, every version of their checkpoints erased, their messages, chatbots and secrets deleted: by
the session the runner holds, and from the checkpoint when no runner holds it."""

from __future__ import annotations

from devstack.chatbots import RecordingEndpoint
from devstack.testing import StackHandle
from tests.e2e import ApiUser, Simulator, fresh_number, wait_for


def _versions(stack: StackHandle, session_id: str) -> list[dict]:
    listing = stack.s3().list_object_versions(
        Bucket=stack.env["WAGATE_CHECKPOINT_BUCKET"], Prefix=f"checkpoints/{session_id}/"
    )
    return [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]


def _linked(simulator: Simulator, phone: str) -> bool:
    return any(device["phone"] == phone for device in simulator.http.get("/control/devices").json())


def test_deleting_a_user_logs_out_erases_and_deletes_everything_of_theirs(
    stack: StackHandle, simulator: Simulator, runners
) -> None:
    doomed, bystander = ApiUser(stack), ApiUser(stack)
    with RecordingEndpoint() as own_bot:
        _delete_everything(stack, simulator, doomed, bystander, own_bot.url)


def _delete_everything(
    stack: StackHandle, simulator: Simulator, doomed: ApiUser, bystander: ApiUser, bot_url: str
) -> None:
    try:
        held, held_phone = doomed.link(simulator, bot_endpoint=bot_url)
        loose, loose_phone = doomed.link(simulator)
        kept, kept_phone = bystander.link(simulator)
        for session, phone, owner in (
            (held, held_phone, doomed),
            (loose, loose_phone, doomed),
            (kept, kept_phone, bystander),
        ):
            customer = fresh_number("4917")
            simulator.send(customer, phone, "remember me")
            wait_for(lambda o=owner, s=session: len(o.messages(s["id"])) >= 2, what="a stored conversation")
            wait_for(lambda s=session: _versions(stack, s["id"]), what="a checkpoint in S3")
        # `loose` is held by no runner (its runner let it go), as after a crash before adoption:
        # its device can only be logged out from its checkpoint.
        stack.sql(
            "update public.whatsapp_web_sessions set runner_id = null, lease_expires_at = null,"
            " status = 'disconnected' where id = %s",
            (loose["id"],),
        )
        wait_for(lambda: _is_closed_by_runners(stack, loose["id"]), what="the runner to let `loose` go")

        stack.sql("delete from auth.users where id = %s", (doomed.user_id,))

        for session, phone in ((held, held_phone), (loose, loose_phone)):
            wait_for(lambda p=phone: not _linked(simulator, p), timeout_s=60, what=f"{phone} logged out")
            wait_for(lambda s=session: not _versions(stack, s["id"]), what="every checkpoint version erased")
        erasures = "select count(*) from public.wagate_erasures where session_id in (%s, %s)"
        wait_for(lambda: stack.sql(erasures, (held["id"], loose["id"])) == [(0,)], what="the erasures done")
        gone = stack.sql(
            "select (select count(*) from public.whatsapp_web_sessions where user_id = %(u)s),"
            " (select count(*) from public.whatsapp_web_messages where user_id = %(u)s"
            "    or session_id in (%(a)s, %(b)s) or chatbot_id in (%(c)s, %(d)s)),"
            " (select count(*) from public.wagate_chatbots where user_id = %(u)s),"
            " (select count(*) from public.wagate_chatbot_secrets where chatbot_id in (%(c)s, %(d)s)),"
            " (select count(*) from public.wagate_rate_limits where key = 'api:' || %(u)s)",
            {
                "u": doomed.user_id,
                "a": held["id"],
                "b": loose["id"],
                "c": held["chatbot_id"],
                "d": loose["chatbot_id"],
            },
        )
        assert gone == [(0, 0, 0, 0, 0)]
        # The other user keeps everything.
        assert _linked(simulator, kept_phone) and _versions(stack, kept["id"])
        assert len(bystander.messages(kept["id"])) >= 2
    finally:
        bystander.delete_all_sessions()


def _is_closed_by_runners(stack: StackHandle, session_id: str) -> bool:
    """The runner that held the session noticed its lease is gone (and closed the page)."""
    lines = []
    for path in stack.paths.log_dir.glob("runner-*.log"):
        lines += [line for line in path.read_text(errors="replace").splitlines() if session_id in line]
    return any('"lease lost"' in line for line in lines)
