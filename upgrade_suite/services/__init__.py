"""What the suite starts and drives: gateways, databases, Alembic runs, the balancer, containers, pods.

``gateway`` (one running gateway of the process driver) and ``startup`` (the timeline of its start),
``docker_driver`` and ``engine`` (gateways as containers), ``database`` (SQLite files and PostgreSQL
databases the suite owns), ``migrations`` (a release's own Alembic) and ``chain`` (its revision chain),
``mcp_fixture`` (the MCP server gateways federate), ``balancer`` (HAProxy), ``replicas``, ``chart`` and
``pods`` (the Helm chart's facts and a pod as the kubelet runs it), ``kubernetes`` (Helm on a real cluster) and
``kube_events`` (its own record of a rollout),
``tools`` (outside binaries a path needs), ``faults`` (a read-only database, a small disk, a percent-encoded login:
faults injected and undone), ``locks`` (a long reader held, and who waits for whom), ``leftovers`` (what a
crashed run left, cleaned at start).
Each process or resource is a context manager.

May import: ``base``, ``releases``, ``probes`` (by path).
"""
