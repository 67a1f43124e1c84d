"""OneRoster 1.2 out: the CSV zip (export) and the REST rostering API's records (api), in the one shape of spec."""
