"""Dual prevention (双重预防机制): the risk register, control measures and recurring check tasks."""
