"""Suggested drone flight plans over terrain, safe by construction, exported for the ground stations pilots use.

* :mod:`flightplans.mission` — typed mission items with explicit altitude references, and their MAVLink encoding;
* planners: :func:`flightplans.orbit.plan_orbit`, :func:`flightplans.survey.plan_survey`,
  :func:`flightplans.route.plan_route` (shared pieces in :mod:`flightplans.paths`, :mod:`flightplans.geo`,
  :mod:`flightplans.terrain_follow`);
* :func:`flightplans.safety.check_mission` — ceiling, clearance along every leg, no-fly zones, distance, endurance;
* :mod:`flightplans.exporters` — QGC ``.plan``, ``QGC WPL 110``, DJI WPML ``.kmz``, GeoJSON (plug-in registry);
* :mod:`flightplans.vehicle` — upload with read-back (dronekit for ArduPilot, the mission protocol via pymavlink);
* :mod:`flightplans.config` — aircraft, camera, safety and pattern settings with their reasons.
"""
