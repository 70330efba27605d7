"""The alert feed: newest first, delivery status per endpoint, acknowledge with the operator's name.

Acknowledged alerts stay in the feed (greyed, with who and when). A read-only session sees the buttons disabled.
"""

from __future__ import annotations

import streamlit as st

from dashboard import loaders
from dashboard.i18n import t
from dashboard.panels.context import Context
from dashboard.summaries import local_time
from firewatch.errors import FirewatchError

#: Alerts shown in the feed. 50 covers a busy shift; older ones are in `firewatch alerts list`.
FEED_LENGTH = 50

#: Marker per event type, from fonts every Debian desktop has (colour emoji need an extra font package).
_EVENT_ICONS = {"incident.confirmed": "▲", "incident.escalated": "▲▲", "incident.reignited": "↻",
                "incident.closed": "■", "test": "○"}


def acknowledge(ctx: Context, alert_id: str) -> str | None:
    """Record the acknowledgement in the store; return an error text for the operator, or None when done."""
    if ctx.read_only:
        return t("read_only", ctx.lang)
    if not ctx.operator:
        return t("need_operator", ctx.lang)
    try:
        loaders.store(ctx.db_url).acknowledge(alert_id, ctx.operator)
    except FirewatchError as exc:
        return str(exc)
    loaders.clear_store_cache()
    return None


def _on_ack(ctx: Context, alert_id: str) -> None:
    st.session_state.ack_error = acknowledge(ctx, alert_id)


def alert_feed(ctx: Context) -> None:
    """Draw the feed (inside the live fragment)."""
    st.subheader(t("alerts", ctx.lang))
    error = st.session_state.pop("ack_error", None)
    if error:
        st.warning(error)
    try:
        rows = loaders.alerts(ctx.db_url, FEED_LENGTH)
    except FirewatchError as exc:
        st.error(t("no_store", ctx.lang, error=exc))
        return
    if not rows:
        st.caption(t("no_alerts", ctx.lang))
        return
    with st.container(height=560):
        for row in rows:
            acked = bool(row.get("acknowledged"))
            icon = _EVENT_ICONS.get(row.get("event_type"), "•")
            with st.container(border=True):
                text = (f"{icon} **{row.get('event_type')}** · `{row.get('incident_id') or '—'}`  \n"
                        f"{local_time(row.get('created_at'), ctx.config.timezone)} · {row.get('severity') or ''} · "
                        f"{t('delivery', ctx.lang)}: {row.get('status') or '—'}")
                st.markdown(f":gray[{text}]" if acked else text)
                for ack in row.get("acknowledgements", []):
                    st.caption(t("acknowledged_by", ctx.lang, operator=ack.get("operator"),
                                 time=local_time(ack.get("acknowledged_at"), ctx.config.timezone)))
                if not acked:
                    st.button(t("acknowledge", ctx.lang), key=f"ack-{row['alert_id']}", disabled=ctx.read_only,
                              on_click=_on_ack, args=(ctx, row["alert_id"]))
