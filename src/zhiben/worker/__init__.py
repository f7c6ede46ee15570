"""Background work: scheduled jobs (and, later, MQTT ingestion)."""
