-- wrk script: POST /api/experiments with a realistic create body (14 days, 3 metrics, simulated
-- data, so every request queues the whole pipeline: generate the hourly data, then analyse it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Load test: checkout flow","description":"Created by scripts/bench-http.sh",' ..
           '"metrics":["conversion_rate","cart_abandonment_rate","average_order_value"],' ..
           '"startDate":"2025-01-01","endDate":"2025-01-15","expectedOutcome":"positive",' ..
           '"implementationCost":60000}'
