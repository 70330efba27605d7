"""dashboard.assets and mapview: nothing is fetched from the internet except optional tile layers."""

from __future__ import annotations

import re

import folium
import folium.plugins
import pytest
from streamlit_folium import _get_header

from dashboard.assets import STATIC_DIR, localize, publish_png
from dashboard.errors import DashboardError
from dashboard.layers import hotspots_layer
from dashboard.mapview import BaseMapSpec, base_map


def test_vendored_files_are_present_with_licences():
    for relative in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/LICENSE", "leaflet/images/layers.png",
                     "markercluster/leaflet.markercluster.js", "markercluster/MarkerCluster.css",
                     "markercluster/MarkerCluster.Default.css", "markercluster/LICENSE", "proj4/proj4.js",
                     "proj4/LICENSE"):
        assert (STATIC_DIR / relative).stat().st_size > 0, relative
    assert 't.version="1.9.4"' in (STATIC_DIR / "leaflet/leaflet.js").read_text(encoding="utf-8")


def _links(element) -> list[str]:
    found = []
    for child in [element, *element._children.values()]:
        found += [url for _, url in getattr(child, "default_js", [])] + \
                 [url for _, url in getattr(child, "default_css", [])]
        if child is not element:
            found += _links(child)
    return found


def test_base_map_and_clustered_hotspots_load_only_local_assets():
    fmap = base_map(BaseMapSpec(center=(37.66, 126.98), zoom=12, lang="ko", overlay_range_c=(-10.0, 200.0),
                                hillshade=("/app/static/generated/x.png", ((37.6, 126.9), (37.7, 127.0))),
                                vworld_api_key="KEY"))
    localize(hotspots_layer("/app/static/generated/rows.json", 3, lang="ko", cluster_threshold=1)).add_to(fmap)
    links = _links(fmap)
    assert links and all(url.startswith("/app/static/") for url in links), links
    html = fmap.get_root().render()
    remote = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', html))
    assert remote == set(), remote
    # what streamlit-folium sends into its iframe: header without any remote script
    assert re.findall(r"https?://", _get_header(fmap)) == []
    assert "api.vworld.kr/req/wmts/1.0.0/KEY/Base/{z}/{y}/{x}.png" in html


def test_an_element_without_a_local_copy_is_refused():
    fmap = folium.Map(tiles=None)
    folium.plugins.Fullscreen().add_to(fmap)
    with pytest.raises(DashboardError, match="Fullscreen loads https://"):
        localize(fmap)


def test_published_pictures_are_content_addressed():
    url_a = publish_png(b"\x89PNG fake-a")
    assert url_a == publish_png(b"\x89PNG fake-a") and url_a != publish_png(b"\x89PNG fake-b")
    assert url_a.startswith("/app/static/generated/") and (STATIC_DIR / url_a.split("/app/static/")[1]).is_file()
