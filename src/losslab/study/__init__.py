"""Studies: config schema, planner (study -> ensembles), executors, run store."""
