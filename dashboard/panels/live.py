"""The live part of the screen, refreshed by ``st.fragment(run_every=…)``: banner, counts, map, alert feed.

The map keeps its zoom and pan across ticks: the base map (:func:`dashboard.mapview.base_map`) is identical on
every rerun, and only the data layers change (streamlit-folium swaps ``feature_group_to_add`` in place).
"""

from __future__ import annotations

import json
import re
import time as _time

import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard import layers, loaders
from dashboard.assets import localize, publish_bytes
from dashboard.errors import DashboardError
from dashboard.i18n import t
from dashboard.mapview import BaseMapSpec, base_map
from dashboard.panels.alerts import alert_feed
from dashboard.panels.context import Context
from dashboard.summaries import latest_ortho, local_time, ortho_path
from firewatch.errors import FirewatchError
from firewatch.model import Incident, utc_now

#: Where the map opens when neither the DEM, the configured home nor any incident says: Seoul City Hall.
DEFAULT_CENTER = (37.5665, 126.9780)
_INCIDENT_ID = re.compile(r"\binc-[0-9a-zA-Z_-]+")


def _base_spec(ctx: Context, incidents: list[Incident]) -> BaseMapSpec:
    """The session's base map: built once (so its script never changes) unless the language changes."""
    spec: BaseMapSpec | None = st.session_state.get("base_spec")
    if spec is not None and spec.lang == ctx.lang:
        return spec
    hillshade = None
    center = None
    if ctx.config.dem_path is not None:
        try:
            url, bounds = loaders.hillshade(ctx.config.dem_path)
            hillshade = (url, bounds)
            (south, west), (north, east) = bounds
            center = ((south + north) / 2.0, (west + east) / 2.0)
        except DashboardError as exc:
            st.warning(t("layer_error", ctx.lang, error=exc))
    fit = None
    located = [(i.lat, i.lon) for i in incidents if layers.is_finite_position(i.lat, i.lon)]
    if located:
        # open on the fires (padded by ~1 km), not on the middle of the DEM
        pad = 0.01
        fit = ((min(p[0] for p in located) - pad, min(p[1] for p in located) - pad),
               (max(p[0] for p in located) + pad, max(p[1] for p in located) + pad))
        center = center or located[0]
    if center is None and ctx.config.home_latlon is not None:
        center = tuple(ctx.config.home_latlon)
    spec = BaseMapSpec(center=center or DEFAULT_CENTER, zoom=13, lang=ctx.lang,
                       overlay_range_c=tuple(ctx.config.overlay_range_c), hillshade=hillshade,
                       vworld_api_key=ctx.config.vworld_api_key, fit_bounds=fit)
    st.session_state.base_spec = spec
    return spec


def _static_layers(ctx: Context, fmap: folium.Map) -> None:
    """No-fly zones and heat-source masks from the configured GeoJSON files (part of the base map)."""
    for paths, key, colour in ((ctx.config.no_fly_zones, "layer_nofly", "#6a3d9a"),
                               (ctx.config.heat_masks, "layer_masks", "#b15928")):
        if not paths:
            continue
        try:
            layers.geojson_files_layer(paths, name=t(key, ctx.lang), colour=colour).add_to(fmap)
        except DashboardError as exc:
            st.warning(t("layer_error", ctx.lang, error=exc))


def _live_layers(ctx: Context, incidents, hotspot_source: tuple[str | None, int],
                 frames) -> list[folium.FeatureGroup]:
    now = ctx.window.end  # the filter's end: the wall clock, or the newest data when replaying
    collection = layers.incident_features(incidents, now=now, new_window_s=ctx.config.new_incident_window_s,
                                          lang=ctx.lang, selected_id=st.session_state.get("selected_incident"))
    features_url = publish_bytes(json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                                 ".geojson") if collection["features"] else None
    groups = [
        layers.incidents_layer(features_url, lang=ctx.lang),
        layers.hotspots_layer(*hotspot_source, lang=ctx.lang,
                              cluster_threshold=ctx.config.hotspot_cluster_threshold),
        layers.cameras_layer(frames, lang=ctx.lang, default_range_m=ctx.config.fov_range_m,
                             timezone=ctx.config.timezone),
        layers.footprints_layer(frames, lang=ctx.lang),
    ]
    ortho_frame = latest_ortho(frames)
    if ortho_frame is not None:
        try:
            url, bounds = loaders.thermal(ortho_path(ortho_frame), ctx.config.overlay_range_c)
            groups.append(layers.image_layer(url, bounds, name=t("layer_thermal", ctx.lang), opacity=0.75))
        except DashboardError as exc:
            st.caption(t("layer_error", ctx.lang, error=exc))
    plan = st.session_state.get("plan_geojson")
    if plan:
        groups.append(layers.flight_path_layer(plan, lang=ctx.lang))
    return [localize(g) for g in groups]


def _banner(ctx: Context, incidents: list[Incident]) -> None:
    new = [i for i in incidents if layers.is_new_confirmed(i, now=ctx.window.end,
                                                     window_s=ctx.config.new_incident_window_s)]
    if not new:
        return
    st.markdown(
        '<div class="fw-new-incident" style="background:#d00000;color:white;padding:10px 16px;border-radius:6px;'
        'font-size:1.3rem;font-weight:700;animation:fwblink 1s step-start 3">'
        + t("new_incident_banner", ctx.lang, count=len(new), ids=", ".join(i.incident_id for i in new))
        + "</div><style>@keyframes fwblink{50%{opacity:.3}}</style>", unsafe_allow_html=True)
    seen = st.session_state.setdefault("announced", set())
    for incident in new:
        if incident.incident_id not in seen:
            seen.add(incident.incident_id)
            st.toast(t("new_incident_banner", ctx.lang, count=1, ids=incident.incident_id))


def _handle_click(result: dict | None, incidents: list[Incident]) -> None:
    """Select the incident whose tooltip the operator clicked; rerun the whole page to show its details."""
    tooltip = (result or {}).get("last_object_clicked_tooltip")
    click = (tooltip, str((result or {}).get("last_object_clicked")))  # the position tells two clicks apart
    if not tooltip or click == st.session_state.get("handled_click"):
        return
    st.session_state.handled_click = click
    match = _INCIDENT_ID.search(str(tooltip))
    if match and match.group(0) in {i.incident_id for i in incidents} \
            and match.group(0) != st.session_state.get("selected_incident"):
        st.session_state.map_selection = match.group(0)   # the picker takes it over on the full rerun
        st.rerun(scope="app")


def live(ctx: Context) -> None:
    """One tick: read the store, draw banner, counts, map and alerts."""
    started = _time.perf_counter()
    since, until = ctx.window.start, ctx.window.end
    try:
        incidents = loaders.incidents(ctx.db_url, since, until)
        hotspot_source = loaders.hotspot_layer_source(ctx.db_url, since, until, ctx.config.max_hotspots)
        frames = loaders.frames(ctx.db_url, since, until)
        stats = loaders.stats(ctx.db_url)
    except FirewatchError as exc:
        st.error(t("no_store", ctx.lang, error=exc))
        return
    st.session_state.live_incidents = [i.incident_id for i in incidents]
    _banner(ctx, incidents)
    open_count = sum(n for state, n in stats.get("incidents", {}).items() if state != "closed")
    st.markdown(t("stats", ctx.lang, open=open_count, hotspots=stats.get("hotspots", 0),
                  frames=stats.get("frames", {}).get("accepted", 0), unacked=stats.get("alerts_unacknowledged", 0)))
    map_col, alert_col = st.columns([3, 1])
    with map_col:
        spec = _base_spec(ctx, incidents)
        fmap = base_map(spec)
        _static_layers(ctx, fmap)
        result = st_folium(fmap, key="ops-map", height=620, use_container_width=True,
                           feature_group_to_add=_live_layers(ctx, incidents, hotspot_source, frames),
                           layer_control=folium.LayerControl(collapsed=True),
                           returned_objects=["last_object_clicked", "last_object_clicked_tooltip"])
        _handle_click(result, incidents)
    with alert_col:
        alert_feed(ctx)
    tick = st.session_state.get("tick", 0) + 1
    st.session_state.tick = tick
    st.caption(t("refreshed", ctx.lang, time=local_time(utc_now(), ctx.config.timezone), tick=tick)
               + f" · {1000.0 * (_time.perf_counter() - started):.0f} ms")
    st.button(t("refresh_now", ctx.lang), key="refresh_now")
