"""The Django app the benchmark models are registered under (``app_label = "django_app"``)."""
