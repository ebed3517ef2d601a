"""The Python side of the Node.js folder (``js/``): which adaptor versions it holds (``install``), checking
that JavaScript jobs compile before they are scheduled (``check``), and running one job in a Node process
(``process``). The JavaScript code itself lives in ``js/src``."""
