"""StaticMasks: reading GeoJSON of known heat sources, point and array lookups, typed errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detection.errors import InvalidMask
from detection.masks import StaticMasks

SQUARE = {"type": "Polygon", "coordinates": [[[127.0, 37.0], [127.1, 37.0], [127.1, 37.1], [127.0, 37.1],
                                              [127.0, 37.0]]]}


def test_from_path_and_lookup(tmp_path):
    path = tmp_path / "heat.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Pohang steelworks"}, "geometry": SQUARE},
        {"type": "Feature", "id": "plant-2", "properties": {}, "geometry": {
            "type": "MultiPolygon", "coordinates": [[[[128.0, 36.0], [128.1, 36.0], [128.1, 36.1], [128.0, 36.0]]]]}},
    ]}), encoding="utf-8")
    masks = StaticMasks.from_geojson(path)
    assert masks.names == ("Pohang steelworks", "plant-2")
    assert masks.mask_for(127.05, 37.05) == "Pohang steelworks"
    assert masks.mask_for(128.09, 36.01) == "plant-2"
    assert masks.mask_for(126.9, 37.05) is None
    inside = masks.contains(np.array([127.05, 126.9, np.nan]), np.array([37.05, 37.05, 37.05]))
    assert inside.tolist() == [True, False, False]


def test_bare_geometry_dict_gets_a_default_name():
    assert StaticMasks.from_geojson(SQUARE).names == ("mask-0",)


@pytest.mark.parametrize("data, words", [
    ({"type": "FeatureCollection", "features": []}, "no polygon"),
    ({"type": "Feature", "properties": {"name": "chimney"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
     "'chimney' has geometry 'Point'"),
    ({"type": "Polygon", "coordinates": [[[500000, 4100000], [500100, 4100000], [500100, 4100100],
                                          [500000, 4100000]]]}, "not lon/lat"),
    ({"type": "Topology"}, "not a FeatureCollection"),
    ([1, 2], "must be an object"),
])
def test_bad_masks_are_typed_errors(data, words):
    with pytest.raises(InvalidMask, match=words):
        StaticMasks.from_geojson(data)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(InvalidMask, match="not found"):
        StaticMasks.from_geojson(tmp_path / "nope.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidMask, match="bad.geojson"):
        StaticMasks.from_geojson(bad)
