"""Determination standards (重大事故隐患判定标准) as versioned rule packs, and the engine that applies them."""
