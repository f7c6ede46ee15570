"""One thing, whole chain (一件事全链条): who leads each stage of a thing, referrals, similar business."""
