"""A real single-node Kubernetes the suite builds and runs itself, for the chart's rollout without a given cluster.

``build`` (every binary from Go modules through the proxy, into the suite's cache, resumable), ``pki`` (the CA,
certificates and kubeconfigs, made with ``cryptography``), ``images`` (OCI image tarballs written without a
registry, imported into the private containerd), ``configs`` (containerd, kubelet, kube-proxy, scheduler and CNI
configurations as pure functions, each host quirk beside its reason), ``host`` (what the node changes on the host
outside its state directory, recorded before and undone after), ``node`` (``Node``: every process of the node as
one context manager, with ``kubectl`` bound to its admin kubeconfig), ``crashed`` (a node whose owner was killed,
registered while it ran, cleaned by the next one), ``chart`` (the gateway's part of the upstream chart, written from
its facts, for a node given no chart, one per release's era), ``helm`` (its Helm release on the node: install,
upgrade, rollback, each waited on), ``upstream`` (the upstream chart itself, from a checkout, on the same node: its
gateway parts, PostgreSQL through a TCP front), ``suite_image`` (the suite itself as an image, for the matrix's
shards as pods).

May import: ``base``, ``releases``, ``services``.
"""
