//! `egressc completions SHELL` and `egressc man`: the shell completion script and the manual
//! page, both generated from the command line's own definition (clap_complete, clap_mangen),
//! so that they list every command and option there is.

use std::process::ExitCode;

use clap::CommandFactory as _;

use super::{Cli, Fatal, stdio};

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode, Fatal> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "egressc", &mut out);
    stdio::out(&String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the manual page: the command, then a section per subcommand with its synopsis,
/// description, options and examples (their own sections become subsections).
pub(crate) fn man() -> Result<ExitCode, Fatal> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("egressc {}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_description_section(&mut part)?;
        page.render_options_section(&mut part)?;
        if sub.get_after_help().is_some() {
            page.render_extra_section(&mut part)?;
        }
        text.push_str(&format!(".SH \"{}\"\n", name.to_uppercase()));
        for line in String::from_utf8_lossy(&part).lines() {
            match line.strip_prefix(".SH ") {
                Some(heading) => text.push_str(&format!(".SS {heading}\n")),
                None => {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    stdio::out(&text)?;
    Ok(ExitCode::SUCCESS)
}
