"""Files Leadloop serves to browsers: the tracking snippet in ``static/t.js``."""
