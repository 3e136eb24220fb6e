"""metrics: monthly operations indicators (运维指标数据) and Prometheus business gauges."""
