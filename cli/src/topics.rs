//! `evgen topics`: sets the brokers up as the catalogue says.
//!
//! With `--bootstrap`, each `[topics.*]` becomes a Kafka topic: created when
//! missing (partitions, replication factor capped at the cluster's brokers,
//! `retention.ms`, `compression.type`), compared when present. With `--amqp`,
//! each topic becomes a durable topic exchange and each `[consumer_groups.*]` a
//! durable queue bound to it, with its dead-letter queue (the layout
//! `evreg_client::rabbit` produces to and consumes from).
//!
//! Existing topics are never changed: a difference is printed as drift and the
//! run exits 1, for a person to decide. The broker clients are behind the
//! `kafka` and `rabbitmq` features, so a plain build of `evgen` links neither.

use std::path::PathBuf;

use anyhow::Context as _;
#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
use anyhow::bail;

use crate::Status;

/// `evgen topics`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("broker").required(true).multiple(true))]
pub struct Args {
    /// The catalogue folder (the one holding catalog.toml).
    #[arg(long, default_value = "schemas")]
    pub catalog: PathBuf,
    /// Kafka bootstrap servers (host:port,...): create missing topics, report drift.
    #[arg(long, group = "broker")]
    pub bootstrap: Option<String>,
    /// AMQP URL (amqp://user:pass@host:5672/%2f): declare exchanges and queues, report drift.
    #[arg(long, group = "broker")]
    pub amqp: Option<String>,
}

/// A catalogue topic with its settings resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TopicPlan {
    name: String,
    partitions: u32,
    replication_factor: u32,
    retention_ms: Option<u64>,
    compression: Option<String>,
    groups: Vec<String>,
}

fn plan(args: &Args) -> anyhow::Result<Vec<TopicPlan>> {
    let file = args.catalog.join("catalog.toml");
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let label = file.display().to_string();
    let catalog = evgen::catalog::Catalog::parse(&label, &text)?;
    let mut out = Vec::new();
    for (name, topic) in &catalog.topics {
        let retention_ms = match &topic.retention {
            Some(r) => Some(evgen::catalog::retention_ms(r).with_context(|| {
                format!(
                    "{label}: topic '{name}': retention '{r}' is not a number with ms, s, m, h or d"
                )
            })?),
            None => None,
        };
        let groups = catalog
            .consumer_groups
            .iter()
            .filter(|(_, g)| g.topic == *name)
            .map(|(g, _)| g.clone())
            .collect();
        out.push(TopicPlan {
            name: name.clone(),
            partitions: topic.partitions.unwrap_or(1),
            replication_factor: topic.replication_factor.unwrap_or(1),
            retention_ms,
            compression: topic.compression.clone(),
            groups,
        });
    }
    for (group, g) in &catalog.consumer_groups {
        if !catalog.topics.contains_key(&g.topic) {
            anyhow::bail!(
                "{label}: consumer group '{group}' reads topic '{}', which is not in [topics]",
                g.topic
            );
        }
    }
    Ok(out)
}

/// Runs `evgen topics`.
pub fn run(args: &Args) -> anyhow::Result<Status> {
    let topics = plan(args)?;
    let mut drift = false;
    if let Some(bootstrap) = &args.bootstrap {
        drift |= kafka(bootstrap, &topics)?;
    }
    if let Some(url) = &args.amqp {
        drift |= amqp(url, &topics)?;
    }
    Ok(if drift {
        Status::Findings
    } else {
        Status::Success
    })
}

#[cfg(any(feature = "kafka", feature = "rabbitmq"))]
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

#[cfg(feature = "kafka")]
fn kafka(bootstrap: &str, topics: &[TopicPlan]) -> anyhow::Result<bool> {
    use evreg_client::kafka::{TopicOutcome, TopicSpec, ensure_topics};

    let mut specs = Vec::with_capacity(topics.len());
    for t in topics {
        specs.push(TopicSpec {
            name: t.name.clone(),
            partitions: i32::try_from(t.partitions)
                .with_context(|| format!("topic '{}': too many partitions", t.name))?,
            replication_factor: i32::try_from(t.replication_factor)
                .with_context(|| format!("topic '{}': replication factor too large", t.name))?,
            retention_ms: t.retention_ms,
            compression: t.compression.clone(),
        });
    }
    let outcomes = runtime()?
        .block_on(ensure_topics(bootstrap, &specs))
        .with_context(|| format!("setting up the catalogue's topics on {bootstrap}"))?;
    let mut drift = false;
    for (name, outcome) in outcomes {
        match outcome {
            TopicOutcome::Created { replication_factor } => {
                let spec = specs.iter().find(|s| s.name == name);
                let wanted = spec.map_or(replication_factor, |s| s.replication_factor);
                let capped = if wanted > replication_factor {
                    format!(" (catalogue says {wanted}; capped at the cluster's brokers)")
                } else {
                    String::new()
                };
                println!(
                    "kafka topic {name}: created, {} partitions, replication factor {replication_factor}{capped}",
                    spec.map_or(0, |s| s.partitions)
                );
            }
            TopicOutcome::Matches => println!("kafka topic {name}: matches the catalogue"),
            TopicOutcome::Drifted(lines) => {
                drift = true;
                println!("kafka topic {name}: drift");
                for l in lines {
                    println!("  {l}");
                }
            }
        }
    }
    Ok(drift)
}

#[cfg(not(feature = "kafka"))]
fn kafka(_: &str, _: &[TopicPlan]) -> anyhow::Result<bool> {
    anyhow::bail!("this evgen was built without Kafka support; build it with `--features kafka`")
}

#[cfg(feature = "rabbitmq")]
fn amqp(url: &str, topics: &[TopicPlan]) -> anyhow::Result<bool> {
    // A declaration that differs from what exists is refused, and the
    // channel closed: that is drift, reported, and the run goes on.
    use evreg_client::rabbit::{
        connect, dead_letter_queue, declare_group, declare_topic, is_drift,
    };

    runtime()?.block_on(async {
        let connection = connect(url).await?;
        let mut channel = connection
            .create_channel()
            .await
            .context("opening a channel")?;
        let mut drift = false;
        for t in topics {
            let mut steps: Vec<(String, Option<&str>)> =
                vec![(format!("exchange {}", t.name), None)];
            steps.extend(t.groups.iter().map(|g| {
                (
                    format!(
                        "queue {g} (and {}) bound to {}",
                        dead_letter_queue(g),
                        t.name
                    ),
                    Some(g.as_str()),
                )
            }));
            for (what, group) in steps {
                let result = match group {
                    None => declare_topic(&channel, &t.name).await,
                    Some(g) => declare_group(&channel, &t.name, g).await,
                };
                match result {
                    Ok(()) => println!("amqp {what}: declared"),
                    Err(e) if is_drift(&e) => {
                        drift = true;
                        println!("amqp {what}: drift: {e}");
                        channel = connection
                            .create_channel()
                            .await
                            .context("reopening a channel")?;
                    }
                    Err(e) => bail!(e),
                }
            }
        }
        Ok(drift)
    })
}

#[cfg(not(feature = "rabbitmq"))]
fn amqp(_: &str, _: &[TopicPlan]) -> anyhow::Result<bool> {
    anyhow::bail!(
        "this evgen was built without RabbitMQ support; build it with `--features rabbitmq`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_plans_every_topic_with_its_groups() {
        let args = Args {
            catalog: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas")),
            bootstrap: None,
            amqp: None,
        };
        let plan = plan(&args).unwrap();
        let orders = plan.iter().find(|t| t.name == "order-events").unwrap();
        assert_eq!(orders.partitions, 12);
        assert_eq!(orders.replication_factor, 3);
        assert_eq!(orders.retention_ms, Some(7 * 86_400_000));
        assert_eq!(orders.compression.as_deref(), Some("lz4"));
        assert_eq!(orders.groups, ["order-processing"]);
        assert_eq!(plan.len(), 4);
    }
}
