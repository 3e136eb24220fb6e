"""documents: document records, scans, processing slips, opinions, instructions, forwarding, archive (公文)."""
