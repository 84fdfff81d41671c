"""Risk assessment, trends and advice for customers: the Django side of `jianguan.clinical`."""
