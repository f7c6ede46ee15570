"""Administrative divisions (GB/T 2260) and their hierarchy."""
