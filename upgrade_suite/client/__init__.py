"""What the suite does as a client of a running gateway, as its users would.

``api`` (the REST and JSON-RPC client, tokens minted by the release), ``auth`` (what users hold:
passwords, API tokens, team roles), ``dataset`` (representative data made through the API, and bulk
rows at scale), ``prober`` (steady, bounded traffic with every request recorded), ``serving`` (a start is
complete when an authenticated read answers), ``workload`` (one script of user operations, run the same way on
any gateway) on ``people`` (its operations on users, administrators, teams, tokens and roles) on ``asking`` (one
operation asked, its answer kept as an observation, never an exception).

May import: ``base``, ``releases``, ``services``, ``probes`` (by path).
"""
