"""The cabinet's meters («Приборы учета», issue 19 item 2): the customer's meters, their readings and the checks."""
