#!/usr/bin/env python3
"""Job latency and throughput against a running qfc-server (the client half of bench/jobs/run.sh).

The server runs qfc-testworker as its worker binary; every project's jobs get the actions
`now feedback <a successful process_projectfile feedback>` (an organization secret set by run.sh),
so a job is a real, confined worker process that prints its start time and succeeds at once.

  latency     one job at a time on an idle server: from just before `POST jobs/` is sent to the
              moment the worker process printed its start time (same machine, same clock); also
              the POST's own response time and the time until GET jobs/<id>/ reports it finished
  throughput  PROJECTS projects, ROUNDS rounds: one job per project per round, all submitted at
              once; finished jobs per second of wall time
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid

base, username, password, org = sys.argv[1:5]
projects_wanted, rounds, latency_jobs = (int(v) for v in sys.argv[5:8])
UA = "sdk|py|bench python-urllib"
token = None


def call(method, path, body=None, content_type="application/json", raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + "/api/v1/" + path, data=data, method=method)
    req.add_header("User-Agent", UA)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", "Token " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: HTTP {e.code} {e.read()[:300]!r}")


def upload(project_id, name, content):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + \
        f"\r\n--{boundary}--\r\n".encode()
    call("POST", f"files/{project_id}/{name}/", raw=body,
         content_type=f"multipart/form-data; boundary={boundary}")


def wait_final(job_id, poll=0.01):
    while True:
        _, job = call("GET", f"jobs/{job_id}/")
        if job["status"] in ("finished", "failed", "stopped"):
            if job["status"] != "finished":
                raise SystemExit(f"job {job_id} {job['status']}: {json.dumps(job.get('feedback'))[:500]}")
            return job, time.time()
        time.sleep(poll)


def worker_start_ms(job):
    for line in (job.get("output") or "").splitlines():
        if "qfc-testworker-now " in line:
            return int(line.rsplit(" ", 1)[1])
    raise SystemExit(f"job {job['id']}: no start time in its output")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


_, login = call("POST", "auth/token/", {"username": username, "password": password})
token = login["token"]
qgs = b'<!DOCTYPE qgis><qgis version="3.22.16-Bia" projectname="bench"></qgis>'
project_ids = []
for i in range(projects_wanted):
    _, p = call("POST", "projects/", {"name": f"bench-{i}", "owner": org, "description": ""})
    upload(p["id"], "bench.qgs", qgs)  # starts the project's first process_projectfile job
    project_ids.append(p["id"])
for pid in project_ids:  # let those first jobs end
    while True:
        _, jobs = call("GET", f"jobs/?project_id={pid}")
        items = jobs if isinstance(jobs, list) else jobs.get("results", [])
        if items and all(j["status"] in ("finished", "failed") for j in items):
            break
        time.sleep(0.05)

# --- latency: one job at a time ---
to_worker, post_ms, to_finished = [], [], []
for i in range(latency_jobs):
    pid = project_ids[i % len(project_ids)]
    t0 = time.time()
    _, job = call("POST", "jobs/", {"project_id": pid, "type": "process_projectfile"})
    t1 = time.time()
    job, t2 = wait_final(job["id"])
    to_worker.append(worker_start_ms(job) - t0 * 1000)
    post_ms.append((t1 - t0) * 1000)
    to_finished.append((t2 - t0) * 1000)

print(f"  latency over {latency_jobs} jobs (ms)       p50     p95     max")
for label, values in (("POST jobs/ answered", post_ms), ("POST -> worker running", to_worker),
                      ("POST -> seen finished", to_finished)):
    print(f"    {label:<24} {statistics.median(values):7.1f} {pct(values, 95):7.1f} {max(values):7.1f}")

# --- throughput: every project gets a job per round, all at once ---
t0 = time.time()
done = 0
for r in range(rounds):
    ids = [call("POST", "jobs/", {"project_id": pid, "type": "process_projectfile"})[1]["id"]
           for pid in project_ids]
    for job_id in ids:
        wait_final(job_id, poll=0.02)
        done += 1
elapsed = time.time() - t0
print(f"  throughput: {done} no-op jobs over {len(project_ids)} projects in {elapsed:.2f} s = "
      f"{done / elapsed:.1f} jobs/s")
