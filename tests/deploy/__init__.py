"""The deployment files: Kubernetes manifests, the Dockerfile, docker-compose.yml."""
