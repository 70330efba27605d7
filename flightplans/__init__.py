"""flightplans."""
