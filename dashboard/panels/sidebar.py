"""The sidebar: language, time filter, operator name, access (login and the read-only role).

Login: with ``require_login = true`` the app asks Streamlit's OIDC login (``st.login``; the identity provider is
configured in ``.streamlit/secrets.toml`` ``[auth]``, see docs/dashboard.md). Without it, put the dashboard behind a
reverse proxy that authenticates (also documented there). The read-only role comes from ``read_only`` (config or
env ``FIREWATCH_DASHBOARD_READ_ONLY``) or, with login, from not being listed in ``operators``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import streamlit as st

from dashboard import loaders
from dashboard.config import DashboardConfig
from dashboard.i18n import LANGUAGES, t
from dashboard.panels.context import Context
from dashboard.summaries import TIME_CHOICES, reference_time, time_window
from firewatch.errors import FirewatchError
from firewatch.model import utc_now


def _login_gate(config: DashboardConfig, lang: str) -> tuple[bool, str]:
    """Stop the page until the user logs in (when required); return (may act, user's display name)."""
    if not config.require_login:
        return True, ""
    if not st.user.get("is_logged_in", False):
        st.info(t("login_required", lang))
        st.button(t("login", lang), on_click=st.login)
        st.stop()
    email = str(st.user.get("email", "") or "")
    st.sidebar.button(t("logout", lang), on_click=st.logout)
    allowed = not config.operators or email.lower() in {o.lower() for o in config.operators}
    return allowed, str(st.user.get("name", "") or email)


def _newest_data_time(url: str) -> datetime | None:
    try:
        value = loaders.stats(url).get("last_frame_time")
    except FirewatchError:
        return None
    return value if isinstance(value, datetime) else None


def sidebar(config: DashboardConfig, url: str) -> Context:
    """Draw the sidebar and return this rerun's :class:`Context`."""
    if "lang" not in st.session_state:
        st.session_state.lang = config.language
    lang = st.sidebar.radio(t("language", st.session_state.lang), list(LANGUAGES), key="lang",
                            format_func=LANGUAGES.get, horizontal=True)
    may_act, user_name = _login_gate(config, lang)
    choice = st.sidebar.radio(t("time_filter", lang), TIME_CHOICES, index=1, key="time_choice",
                              format_func=lambda c: t(c, lang, hours=config.shift_hours))
    anchors = ("anchor_now", "anchor_latest")
    anchor = st.sidebar.radio(t("time_anchor", lang), anchors, key="time_anchor", horizontal=True,
                              index=anchors.index(f"anchor_{config.time_anchor}"), format_func=lambda c: t(c, lang))
    now = reference_time(anchor, now=utc_now(), newest_data=_newest_data_time(url))
    custom = None
    if choice == "custom":
        start_day = st.sidebar.date_input(t("from", lang), value=(now - timedelta(days=1)).date(), key="custom_from_d")
        start_tm = st.sidebar.time_input(t("from", lang) + " (UTC)", value=time(0, 0), key="custom_from_t")
        end_day = st.sidebar.date_input(t("to", lang), value=now.date(), key="custom_to_d")
        end_tm = st.sidebar.time_input(t("to", lang) + " (UTC)", value=time(23, 59), key="custom_to_t")
        custom = (datetime.combine(start_day, start_tm, tzinfo=timezone.utc),
                  datetime.combine(end_day, end_tm, tzinfo=timezone.utc))
    window = time_window(choice, now=now, shift_hours=config.shift_hours, custom=custom)
    if user_name and "operator" not in st.session_state:
        st.session_state.operator = user_name
    operator = st.sidebar.text_input(t("operator", lang), key="operator", max_chars=80)
    read_only = config.read_only or not may_act
    if read_only:
        st.sidebar.warning(t("read_only", lang))
    return Context(config=config, db_url=url, lang=lang, window=window, operator=operator.strip(),
                   read_only=read_only)
