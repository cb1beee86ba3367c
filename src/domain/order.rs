//! Sorting with one copy of the sort in the wasm: every caller sorts indices through a `&dyn Fn`
//! (a `sort_unstable_by` per element type weighs ~3 KB).
use std::cmp::Ordering;

/// `v.sort_unstable_by(cmp)`, through the shared index sort.
pub(crate) fn sort_dyn<T>(v: &mut Vec<T>, cmp: &dyn Fn(&T, &T) -> Ordering) {
    let order = sorted_order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    let mut old: Vec<Option<T>> = std::mem::take(v).into_iter().map(Some).collect();
    v.extend(order.into_iter().filter_map(|i| old[i].take()));
}

fn sorted_order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|a, b| cmp(*a, *b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_sort() {
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 3, 10, 57, 300] {
            let v: Vec<(u8, String)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, format!("s{i}"))
                })
                .collect();
            let mut ours = v.clone();
            sort_dyn(&mut ours, &|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            let mut std = v.clone();
            std.sort();
            assert_eq!(ours, std, "n = {n}");
            let mut by_key = v.clone();
            sort_dyn(&mut by_key, &|a, b| b.0.cmp(&a.0));
            assert!(
                by_key.windows(2).all(|w| w[0].0 >= w[1].0),
                "descending keys, n = {n}"
            );
            assert_eq!(by_key.len(), n, "nothing lost");
        }
    }
}
