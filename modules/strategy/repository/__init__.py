"""Strategy's writes and the reads its use cases need, one file per aggregate."""
