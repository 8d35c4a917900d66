"""Operations: health checks, Prometheus metrics, structured logs, security headers."""
