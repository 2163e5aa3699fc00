"""What the tests, scripts/develop and scripts/bench run on 127.0.0.1 in place of
the internet: the Tibber simulator (`loopback.tibber`, `python -m loopback.tibber`)
and a real InfluxDB 1.x (`loopback.influxd`, Debian's influxd on free ports)."""
