"""The command line: zhiben serve, demo, db, users, enterprises, hazards, clearance, audit."""
