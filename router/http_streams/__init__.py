"""Subscriptions over HTTP: multipart responses (Apollo Router's protocol) and server-sent
events (Hive Gateway's), written by stand-alone subgraphs and read by the split router."""
