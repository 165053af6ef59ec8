"""Appeals, complaints and requests for information: what a customer writes from the cabinet, and the thread of
answers staff write back (issue 19, item 4)."""
