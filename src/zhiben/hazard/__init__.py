"""Major and general accident hazards: report, determine, plan, rectify, verify, close out; listed supervision."""
