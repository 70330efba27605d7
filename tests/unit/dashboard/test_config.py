"""dashboard.config: defaults, the [dashboard] table, environment overrides, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.config import DashboardConfig, load_dashboard_config
from dashboard.errors import DashboardConfigError


def test_defaults_without_a_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./firewatch.toml here
    config = load_dashboard_config(None, environ={})
    assert config == DashboardConfig()
    assert config.read_only is False and config.language == "ko" and config.timezone == "Asia/Seoul"


def test_table_is_read_and_relative_paths_resolve_against_the_file(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "firewatch.toml"
    path.write_text('[dashboard]\nrefresh_s = 5\ndem_path = "dem.tif"\nno_fly_zones = ["zones/p73a.geojson"]\n'
                    'home_latlon = [37.65, 126.97]\n[store]\nurl = "sqlite:///x.db"\n', encoding="utf-8")
    config = load_dashboard_config(path, environ={})
    assert config.refresh_s == 5.0
    assert config.dem_path == tmp_path / "conf" / "dem.tif"
    assert config.no_fly_zones == [tmp_path / "conf" / "zones" / "p73a.geojson"]
    assert config.home_latlon == (37.65, 126.97)


def test_unset_dashboard_paths_fall_back_to_the_shared_sections(tmp_path: Path):
    path = tmp_path / "firewatch.toml"
    path.write_text('[terrain]\ndem = "dem.tif"\n[masks]\nfiles = ["masks.geojson"]\n'
                    '[flightplans.safety]\nno_fly_zone_files = ["p73a.geojson"]\n', encoding="utf-8")
    config = load_dashboard_config(path, environ={})
    assert config.dem_path == tmp_path / "dem.tif"
    assert config.heat_masks == [tmp_path / "masks.geojson"] and config.no_fly_zones == [tmp_path / "p73a.geojson"]


def test_environment_overrides_the_file(tmp_path: Path):
    path = tmp_path / "firewatch.toml"
    path.write_text("[dashboard]\nread_only = false\n", encoding="utf-8")
    config = load_dashboard_config(path, environ={"FIREWATCH_DASHBOARD_READ_ONLY": "yes",
                                                  "FIREWATCH_VWORLD_KEY": "KEY123",
                                                  "FIREWATCH_DASHBOARD_LANGUAGE": "en"})
    assert config.read_only is True and config.vworld_api_key == "KEY123" and config.language == "en"


def test_missing_file_names_the_file(tmp_path: Path):
    with pytest.raises(DashboardConfigError, match="nope.toml.*not found"):
        load_dashboard_config(tmp_path / "nope.toml", environ={})


def test_broken_toml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("[dashboard\nrefresh_s = ", encoding="utf-8")
    with pytest.raises(DashboardConfigError, match="broken.toml.*TOML"):
        load_dashboard_config(path, environ={})


@pytest.mark.parametrize("body, key", [
    ("refresh_s = 0.1", "refresh_s"),
    ('language = "fr"', "language"),
    ("overlay_range_c = [200, -10]", "overlay_range_c"),
    ("home_latlon = [137.0, 10.0]", "home_latlon"),
])
def test_invalid_values_name_file_and_key(tmp_path: Path, body: str, key: str):
    path = tmp_path / "firewatch.toml"
    path.write_text(f"[dashboard]\n{body}\n", encoding="utf-8")
    with pytest.raises(DashboardConfigError, match=f"(?s)firewatch.toml.*{key}"):
        load_dashboard_config(path, environ={})


def test_bad_environment_values(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DashboardConfigError, match="FIREWATCH_DASHBOARD_READ_ONLY='maybe'"):
        load_dashboard_config(None, environ={"FIREWATCH_DASHBOARD_READ_ONLY": "maybe"})
    with pytest.raises(DashboardConfigError, match="language"):
        load_dashboard_config(None, environ={"FIREWATCH_DASHBOARD_LANGUAGE": "fr"})
