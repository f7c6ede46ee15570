"""Anonymous tip-offs (举报): public submission with a receipt code, reporter protection, verification into
a hazard, reward tracking and feedback deadlines."""
