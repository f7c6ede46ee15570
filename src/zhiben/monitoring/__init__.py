"""Safety risk monitoring: sensors, the alarm engine, ISA-18.2 alarm handling and alarm KPIs."""
