"""Empty on purpose: `benchmarks.contenders.django_sync` builds the models from the workload specs."""
