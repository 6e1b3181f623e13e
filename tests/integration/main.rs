//! Integration tests against a real Hadoop (HDFS + YARN) started from Hadoop's own Maven
//! artifacts (tests/cluster). One test binary, so that one cluster serves every test.

mod am_tests;
mod app_tests;
mod bounds_tests;
mod cli_tests;
mod cluster;
mod cluster_tests;
mod driver_tests;
mod fault_tests;
mod fixtures;
mod follow_tests;
mod grpc_tools_tests;
mod kv_app_tests;
mod lifetime_tests;
mod log_aggregation_tests;
mod logs_tests;
mod progress_tests;
mod readiness_tests;
mod restart_tests;
mod shell_app;
mod staging_tests;
mod submit_tests;
mod ui_tests;
