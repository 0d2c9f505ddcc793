"""Task modules, by concern; importing this package registers every task."""
