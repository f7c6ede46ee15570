"""Generic helpers with no domain words; imports nothing from zhiben."""
