"""The render cluster's frame lock (docs/cluster.md): the leader's frame clock and the node's side of the swap
barrier. The messages are :mod:`stage.core.wire.frame`; the modules here hold the logic (``schedule``, ``barrier``)
and the sockets (``leader``, ``follower``). Nothing here imports GL.
"""
