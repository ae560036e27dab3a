//! Reusable drawing pieces shared by the areas.

pub mod loss_plot;
pub mod path_field;
