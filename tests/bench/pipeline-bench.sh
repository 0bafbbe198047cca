#!/bin/bash
echo "pipeline-bench: not written yet"
